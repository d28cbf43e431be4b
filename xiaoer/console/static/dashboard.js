// Metrics dashboard: /api/dashboard drawn with the vendored ECharts. Text from the server (intent
// names, missed questions) only reaches the page through textContent or ECharts' canvas.
(function () {
  "use strict";

  var form = document.getElementById("dashboard-form");
  var statusLine = document.getElementById("dashboard-status");
  var notesList = document.getElementById("dashboard-notes");
  var tiles = document.getElementById("tiles");
  var csvLink = document.getElementById("csv-link");
  var charts = {};

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function say(text, isError) {
    statusLine.textContent = text || "";
    statusLine.classList.toggle("error", !!isError);
  }

  function chart(id) {
    if (!charts[id]) charts[id] = echarts.init(document.getElementById(id));
    return charts[id];
  }

  function percent(rate) {
    return rate === null || rate === undefined ? null : Math.round(rate * 1000) / 10;
  }

  function percentText(rate) {
    var value = percent(rate);
    return value === null ? "—" : value + "%";
  }

  function column(rows, name) {
    return rows.map(function (row) { return row[name]; });
  }

  function query() {
    return new URLSearchParams(new FormData(form)).toString();
  }

  function timeAxis(report) {
    var labels = column(report.periods, "period");
    if (report.by === "hour" && report.from === report.to) {
      labels = labels.map(function (label) { return label.slice(11); });
    }
    return { type: "category", data: labels };
  }

  var base = {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 48, right: 48, top: 36, bottom: 28 },
  };

  function withBase(option) {
    return Object.assign({}, base, option);
  }

  function drawRates(report) {
    var rows = report.periods;
    var series = [
      ["应答触发率", "answer_trigger_rate"],
      ["辅助回复率", "assisted_reply_rate"],
      ["自动解决率", "auto_resolution_rate"],
      ["转人工率", "hand_off_rate"],
    ].map(function (pair) {
      return { name: pair[0], type: "line", connectNulls: false, data: column(rows, pair[1]).map(percent) };
    });
    chart("chart-rates").setOption(withBase({
      xAxis: timeAxis(report),
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: series,
    }), true);
  }

  function drawVolume(report) {
    var rows = report.periods;
    chart("chart-volume").setOption(withBase({
      xAxis: timeAxis(report),
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: "买家消息", type: "bar", data: column(rows, "buyer_messages") },
        { name: "会话", type: "bar", data: column(rows, "conversations") },
        { name: "人工消息", type: "bar", data: column(rows, "agent_messages") },
      ],
    }), true);
  }

  function drawSuggestions(report) {
    var rows = report.periods;
    chart("chart-suggestions").setOption(withBase({
      xAxis: timeAxis(report),
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: "采纳", type: "bar", stack: "decided", data: column(rows, "accepted") },
        { name: "修改后发送", type: "bar", stack: "decided", data: column(rows, "edited") },
        { name: "拒绝", type: "bar", stack: "decided", data: column(rows, "rejected") },
      ],
    }), true);
  }

  function drawFollowups(report) {
    var rows = report.periods;
    chart("chart-followups").setOption(withBase({
      xAxis: timeAxis(report),
      yAxis: [
        { type: "value", minInterval: 1, name: "条" },
        { type: "value", name: "GMV ¥", position: "right" },
      ],
      series: [
        { name: "发送", type: "bar", data: column(rows, "followups_sent") },
        { name: "成交", type: "bar", data: column(rows, "followups_converted") },
        { name: "成交 GMV", type: "line", yAxisIndex: 1, data: column(rows, "followup_gmv") },
      ],
    }), true);
  }

  function drawRanking(id, items, nameOf, seriesName) {
    var reversed = items.slice().reverse(); // biggest on top
    chart(id).setOption({
      tooltip: { trigger: "item" },
      grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: {
        type: "category",
        data: reversed.map(nameOf),
        axisLabel: { width: 200, overflow: "truncate" },
      },
      series: [{ name: seriesName, type: "bar", label: { show: true, position: "right" },
                 data: reversed.map(function (item) { return item.count; }) }],
      graphic: items.length ? [] : [{ type: "text", left: "center", top: "middle",
                                      style: { text: "暂无数据", fill: "#8a8f99" } }],
    }, true);
  }

  function drawTiles(report) {
    var t = report.totals;
    var values = [
      ["应答触发率", percentText(t.answer_trigger_rate)],
      ["辅助回复率", percentText(t.assisted_reply_rate)],
      ["自动解决率", percentText(t.auto_resolution_rate)],
      ["转人工率", percentText(t.hand_off_rate)],
      ["推荐 采纳/修改/拒绝", t.accepted + " / " + t.edited + " / " + t.rejected],
      ["跟进 发送/成交", t.followups_sent + " / " + t.followups_converted],
      ["跟进成交 GMV", "¥" + t.followup_gmv.toFixed(2)],
    ];
    tiles.replaceChildren();
    values.forEach(function (pair) {
      var tile = el("div", "tile");
      tile.appendChild(el("div", "value", pair[1]));
      tile.appendChild(el("div", "label", pair[0]));
      tiles.appendChild(tile);
    });
  }

  function render(report) {
    form.elements.from.value = report.from;
    form.elements.to.value = report.to;
    form.elements.by.value = report.by;
    notesList.replaceChildren();
    report.notes.forEach(function (note) { notesList.appendChild(el("li", "", note)); });
    drawTiles(report);
    drawRates(report);
    drawVolume(report);
    drawSuggestions(report);
    drawFollowups(report);
    drawRanking("chart-intents", report.top_intents, function (i) { return i.name; }, "消息数");
    drawRanking("chart-misses", report.top_misses, function (m) { return m.label + "（" + m.stage + "）"; }, "次数");
    csvLink.href = "/api/dashboard.csv?" + query();
  }

  function load() {
    say("加载中…");
    var url = "/api/dashboard" + (form.elements.to.value ? "?" + query() : "");
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401) {
          window.location.href = "/login";
          return null;
        }
        return response.json().then(function (body) {
          if (!response.ok) throw new Error(body.detail || "加载失败（" + response.status + "）");
          return body;
        });
      })
      .then(function (report) {
        if (!report) return;
        render(report);
        document.getElementById("dashboard").dataset.loaded = report.from + ".." + report.to + "/" + report.by;
        say("");
      })
      .catch(function (error) { say(error.message || "加载失败", true); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    load();
  });
  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (id) { charts[id].resize(); });
  });
  load();
})();
