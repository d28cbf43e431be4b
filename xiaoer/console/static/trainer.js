// 训练师 pages: clusters of missed questions, a masked conversation viewer, and edits previewed as a
// diff before they are written. Buyer text only reaches the page through textContent.
(function () {
  "use strict";

  var root = document.getElementById("trainer");
  var csrf = root.dataset.csrf;
  var mineForm = document.getElementById("mine-form");
  var clustersList = document.getElementById("clusters");
  var notesList = document.getElementById("mine-notes");
  var editForm = document.getElementById("edit-form");
  var diffBox = document.getElementById("diff");
  var retrainLine = document.getElementById("retrain");
  var selectedCount = document.getElementById("selected-count");

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function say(id, text, isError) {
    var line = document.getElementById(id);
    line.textContent = text || "";
    line.classList.toggle("error", !!isError);
  }

  function request(method, url, body) {
    var options = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRF-Token"] = csrf;
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      if (response.status === 401) {
        window.location.href = "/login";
        throw new Error("请先登录");
      }
      return response.json().then(function (data) {
        if (!response.ok) throw new Error(data.detail || "失败（" + response.status + "）");
        return data;
      });
    });
  }

  // --- targets --------------------------------------------------------------------

  function fill(select, items, valueOf, labelOf) {
    select.replaceChildren();
    items.forEach(function (item) {
      var option = el("option", "", labelOf(item));
      option.value = valueOf(item);
      select.appendChild(option);
    });
  }

  function loadTargets() {
    return request("GET", "/api/trainer/targets").then(function (targets) {
      fill(document.getElementById("intent"), targets.intents, String, String);
      fill(document.getElementById("entry-key"), targets.entries,
           function (e) { return e.key; }, function (e) { return e.key + " · " + e.question; });
      fill(document.getElementById("category"), targets.categories,
           function (c) { return c.name; }, function (c) { return c.title + "（" + c.name + "）"; });
    });
  }

  function kind() {
    return editForm.querySelector("input[name=kind]:checked").value;
  }

  function showKind() {
    editForm.querySelectorAll("[data-kind]").forEach(function (part) {
      part.hidden = part.dataset.kind !== kind();
    });
  }

  function choose(suggested) {
    var target = { intent: "examples", knowledge: "variants" }[suggested.kind] || "entry";
    editForm.querySelector("input[name=kind][value=" + target + "]").checked = true;
    if (target === "examples") document.getElementById("intent").value = suggested.name;
    if (target === "variants") document.getElementById("entry-key").value = suggested.name;
    showKind();
  }

  // --- clusters -------------------------------------------------------------------

  function selectedTexts() {
    var texts = [];
    clustersList.querySelectorAll("input[type=checkbox]:checked").forEach(function (box) {
      texts.push(box.value);
    });
    document.getElementById("extra").value.split("\n").forEach(function (line) {
      if (line.trim()) texts.push(line.trim());
    });
    return texts;
  }

  function countSelected() {
    selectedCount.textContent = String(clustersList.querySelectorAll("input[type=checkbox]:checked").length);
  }

  function renderCluster(cluster, index) {
    var item = el("li", "cluster");
    item.dataset.index = String(index);
    var head = el("h3");
    head.appendChild(el("span", "", cluster.label));
    head.appendChild(el("span", "badge", "×" + cluster.count));
    head.appendChild(el("span", "chip", cluster.stage));
    item.appendChild(head);
    var signals = Object.keys(cluster.signals).map(function (k) { return k + " " + cluster.signals[k]; });
    item.appendChild(el("p", "meta", "信号：" + signals.join("，")));
    item.appendChild(el("p", "meta", "机器人理解为：" + cluster.intents.map(function (i) {
      return i.name + " " + i.count;
    }).join("，")));
    var suggested = cluster.suggested;
    var target = suggested.name ? suggested.kind + " " + suggested.name : "新建知识条目";
    var use = el("button", "link", "建议目标：" + target + "（相似度 " + suggested.similarity + "）");
    use.type = "button";
    use.addEventListener("click", function () { choose(suggested); });
    item.appendChild(use);
    var examples = el("ul");
    cluster.examples.forEach(function (text) {
      var line = el("li");
      var label = el("label");
      var box = document.createElement("input");
      box.type = "checkbox";
      box.value = text;
      box.addEventListener("change", countSelected);
      label.appendChild(box);
      label.appendChild(el("span", "", text));
      line.appendChild(label);
      examples.appendChild(line);
    });
    item.appendChild(examples);
    var links = el("p", "meta", "会话：");
    cluster.conversations.slice(0, 5).forEach(function (id) {
      var open = el("button", "link", id);
      open.type = "button";
      open.addEventListener("click", function () { view(id); });
      links.appendChild(open);
    });
    item.appendChild(links);
    return item;
  }

  function mine() {
    say("mine-status", "挖掘中…");
    var query = new URLSearchParams({
      since: document.getElementById("since").value,
      again: document.getElementById("again").checked ? "true" : "false",
    });
    return request("GET", "/api/trainer/clusters?" + query.toString())
      .then(function (result) {
        notesList.replaceChildren();
        result.notes.forEach(function (note) { notesList.appendChild(el("li", "", note)); });
        clustersList.replaceChildren();
        result.clusters.forEach(function (cluster, i) { clustersList.appendChild(renderCluster(cluster, i)); });
        countSelected();
        var summary = result.misses + " 条未答好的消息，" + result.clusters.length + " 组";
        if (result.fixed !== undefined) summary += "；当前模型已答对 " + result.fixed + " 条（已去掉）";
        say("mine-status", summary);
        root.dataset.mined = String(result.misses);
      })
      .catch(function (error) { say("mine-status", error.message, true); });
  }

  // --- high-churn scenarios ------------------------------------------------------

  function money(value) {
    return value === null || value === undefined ? "—" : "¥" + Math.round(value).toLocaleString("zh-CN");
  }

  function rate(value) {
    return value === null || value === undefined ? "—" : Math.round(value * 100) + "%";
  }

  function churnRow(name, row, extra) {
    var tr = el("tr");
    tr.appendChild(el("td", "", name));
    [row.conversations, row.converted, rate(row.conversion_rate), row.lost, money(row.lost_gmv)].forEach(function (v) {
      tr.appendChild(el("td", "num", v));
    });
    if (extra !== undefined) tr.appendChild(el("td", "muted", extra));
    return tr;
  }

  function loadChurn() {
    var since = document.getElementById("since").value;
    say("churn-status", "统计中…");
    return request("GET", "/api/trainer/churn?" + new URLSearchParams({ since: since }).toString())
      .then(function (result) {
        document.getElementById("churn-since").textContent = document.getElementById("since").selectedOptions[0].textContent;
        var stages = document.querySelector("#churn-stages tbody");
        var scenarios = document.querySelector("#churn-scenarios tbody");
        stages.replaceChildren();
        scenarios.replaceChildren();
        result.by_stage.forEach(function (row) { stages.appendChild(churnRow(row.stage, row)); });
        result.scenarios.slice(0, 20).forEach(function (row) {
          scenarios.appendChild(churnRow(row.knowledge || row.intent, row, row.examples.join(" / ")));
        });
        say("churn-status", result.notes.join("；") || result.period.conversations + " 个登录买家的会话");
        root.dataset.churn = String(result.scenarios.length);
      })
      .catch(function (error) { say("churn-status", error.message, true); });
  }

  // --- conversation viewer --------------------------------------------------------

  function view(id) {
    request("GET", "/api/trainer/conversations/" + encodeURIComponent(id))
      .then(function (conversation) {
        var box = document.getElementById("viewer");
        document.getElementById("viewer-id").textContent = conversation.conversation_id;
        var list = document.getElementById("viewer-messages");
        list.replaceChildren();
        conversation.messages.forEach(function (message) {
          var row = el("li", "msg " + message.role);
          row.appendChild(el("span", "who", { buyer: "买家", bot: "小二", agent: "人工", system: "" }[message.role]));
          row.appendChild(el("span", "text", message.text));
          list.appendChild(row);
        });
        box.hidden = false;
      })
      .catch(function (error) { say("edit-status", error.message, true); });
  }

  // --- edits ----------------------------------------------------------------------

  function editBody(write) {
    var body = { texts: selectedTexts(), write: write };
    if (kind() === "examples") body.intent = document.getElementById("intent").value;
    if (kind() === "variants") body.key = document.getElementById("entry-key").value;
    if (kind() === "entry") {
      body.category = document.getElementById("category").value;
      body.id = document.getElementById("entry-id").value.trim();
      body.question = document.getElementById("question").value;
      body.answer = document.getElementById("answer").value;
    }
    return body;
  }

  function submitEdit(write) {
    say("edit-status", write ? "写入中…" : "生成预览…");
    return request("POST", "/api/trainer/edits/" + kind(), editBody(write))
      .then(function (result) {
        diffBox.textContent = result.diff;
        diffBox.hidden = false;
        var skipped = result.skipped.length ? "；跳过 " + result.skipped.join("，") : "";
        say("edit-status", (result.written ? "已写入 " : "预览 ") + result.file + "：" + result.added.length + " 条" + skipped);
        retrainLine.textContent = result.written ? "下一步：在项目目录运行 " + result.retrain + "，再重新挖掘并勾选“用当前模型重新检查”。" : "";
        retrainLine.hidden = !result.written;
        root.dataset.written = result.written ? result.file : "";
        if (result.written) loadTargets();
      })
      .catch(function (error) { say("edit-status", error.message, true); });
  }

  editForm.addEventListener("change", function (event) {
    if (event.target.name === "kind") showKind();
  });
  document.getElementById("preview").addEventListener("click", function () { submitEdit(false); });
  document.getElementById("write").addEventListener("click", function () { submitEdit(true); });
  mineForm.addEventListener("submit", function (event) {
    event.preventDefault();
    mine();
    loadChurn();
  });
  document.getElementById("churn-load").addEventListener("click", loadChurn);
  loadTargets().then(mine).catch(function (error) { say("mine-status", error.message, true); });
  loadChurn();
})();
