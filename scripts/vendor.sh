#!/usr/bin/env bash
# Fetch the console's vendored front-end files from npm (xiaoer/console/static/vendor/MANIFEST),
# copy each into place and check its sha256. Needs npm and the registry; run by hand (`make
# vendor`) when bumping a version, never at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
vendor=xiaoer/console/static/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
grep -v '^#' "$vendor/MANIFEST" | while read -r file package version licence sha path; do
    [ -n "$file" ] || continue
    (cd "$work" && npm pack --silent "$package@$version" >/dev/null)
    mkdir -p "$work/$package"
    tar xzf "$work/${package//\//-}-$version.tgz" -C "$work/$package"
    got=$(sha256sum "$work/$package/package/$path" | cut -d' ' -f1)
    if [ "$got" != "$sha" ]; then
        echo "vendor: $package@$version $path has sha256 $got, MANIFEST says $sha" >&2
        exit 1
    fi
    cp "$work/$package/package/$path" "$vendor/$file"
    echo "vendor: $file <- $package@$version ($licence)"
done
