// Agent console. Buyer text is put in the page with textContent only: never parsed as HTML.
(function () {
  "use strict";

  var root = document.getElementById("console");
  var csrf = root.dataset.csrf;
  var conversationId = root.dataset.conversation || "";
  var queueList = document.getElementById("queue-list");
  var queueCount = document.getElementById("queue-count");
  var queueEmpty = document.getElementById("queue-empty");
  var statusLine = document.getElementById("status");
  var lastBuyerEvent = null;
  var lastSlots = null;
  var queueItems = [];
  var zone = { timeZone: root.dataset.timezone || undefined };

  function timeOf(value) {
    return new Date(value).toLocaleTimeString("zh-CN", zone);
  }

  function dateTimeOf(value) {
    return new Date(value).toLocaleString("zh-CN", zone);
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function say(text, isError) {
    if (!statusLine) return;
    statusLine.textContent = text || "";
    statusLine.classList.toggle("error", !!isError);
  }

  function api(method, path, body) {
    var options = {
      method: method,
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, Accept: "application/json" },
    };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(path, options).then(function (response) {
      if (response.status === 401) {
        window.location.href = "/login";
        throw new Error("请重新登录");
      }
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw new Error(data.detail || "请求失败（" + response.status + "）");
        return data;
      });
    });
  }

  function conversationPath(suffix) {
    return "/api/conversations/" + encodeURIComponent(conversationId) + (suffix || "");
  }

  function waited(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    if (seconds < 60) return seconds + " 秒";
    if (seconds < 3600) return Math.floor(seconds / 60) + " 分钟";
    return Math.floor(seconds / 3600) + " 小时 " + Math.floor((seconds % 3600) / 60) + " 分";
  }

  // --- queue --------------------------------------------------------------

  function renderQueue() {
    clear(queueList);
    queueCount.textContent = String(queueItems.length);
    queueEmpty.hidden = queueItems.length > 0;
    queueItems.forEach(function (item) {
      var li = el("li", "queue-item" + (item.conversation_id === conversationId ? " current" : ""));
      li.dataset.conversation = item.conversation_id;
      var link = el("a");
      link.href = "/conversations/" + encodeURIComponent(item.conversation_id);
      link.appendChild(el("span", "queue-buyer", item.conversation_id));
      var since = Date.parse(item.waiting_since);
      link.appendChild(el("span", "queue-wait", "等待 " + waited((Date.now() - since) / 1000)));
      link.appendChild(el("span", "queue-text", item.last_buyer_text || "（无消息）"));
      li.appendChild(link);
      queueList.appendChild(li);
    });
  }

  setInterval(renderQueue, 15000);

  // --- transcript ---------------------------------------------------------

  var ROLE_LABEL = { buyer: "买家", bot: "机器人", agent: "客服", system: "" };

  function renderConversation(conversation) {
    var list = document.getElementById("transcript");
    if (!list) return;
    var nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    clear(list);
    conversation.messages.forEach(function (message) {
      var li = el("li", "msg " + message.role);
      if (message.role === "system") {
        li.appendChild(el("span", "system-note", message.text));
      } else {
        var label = ROLE_LABEL[message.role] + (message.agent ? " " + message.agent : "");
        var head = el("div", "msg-head");
        head.appendChild(el("span", "who", label));
        if (message.at) head.appendChild(el("time", "at", timeOf(message.at)));
        li.appendChild(head);
        var bubble = el("div", "bubble", message.text);
        if (message.custom && message.custom.type) {
          bubble.appendChild(el("span", "tag", message.custom.type));
        }
        li.appendChild(bubble);
        if (message.buttons && message.buttons.length) {
          var bar = el("div", "buttons");
          message.buttons.forEach(function (b) {
            bar.appendChild(el("span", "chip", b.title || b.payload));
          });
          li.appendChild(bar);
        }
      }
      list.appendChild(li);
    });
    if (nearBottom || lastBuyerEvent === null) list.scrollTop = list.scrollHeight;

    var state = document.getElementById("conversation-state");
    state.textContent = conversation.paused ? "人工处理中" : "机器人接待中";
    state.className = "state " + (conversation.paused ? "paused" : "bot");
    document.getElementById("hand-back").disabled = !conversation.paused;

    var buyerEvents = conversation.messages.filter(function (m) { return m.role === "buyer"; });
    var latest = buyerEvents.length ? buyerEvents[buyerEvents.length - 1].event_id : 0;
    if (latest !== lastBuyerEvent) {
      lastBuyerEvent = latest;
      if (conversation.paused && latest) loadSuggestions();
    }
    var slots = JSON.stringify(conversation.slots);
    if (slots !== lastSlots) {
      lastSlots = slots;
      loadPanel();
    }
  }

  // --- suggestions --------------------------------------------------------

  function renderSuggestions(suggestions) {
    var transcript = document.getElementById("transcript");
    var pinned = transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 80;
    var list = document.getElementById("suggestion-list");
    var status = document.getElementById("suggestion-status");
    clear(list);
    status.textContent = suggestions.length ? "" : "没有可用的推荐回复，请直接输入。";
    suggestions.forEach(function (s) {
      var li = el("li", "suggestion");
      li.dataset.suggestion = s.suggestion_id;
      var meta = el("div", "suggestion-meta");
      meta.appendChild(el("span", "confidence", Math.round(s.confidence * 100) + "%"));
      meta.appendChild(el("span", "source", s.intent + " · " + s.source));
      li.appendChild(meta);
      var text = el("div", "suggestion-text", s.text);
      li.appendChild(text);
      if (s.buttons && s.buttons.length) {
        var chips = el("div", "buttons");
        s.buttons.forEach(function (b) { chips.appendChild(el("span", "chip", b.title || b.payload)); });
        li.appendChild(chips);
      }
      var actions = el("div", "suggestion-actions");
      var accept = el("button", "accept", "采用");
      var edit = el("button", "edit secondary", "编辑");
      var reject = el("button", "reject link", "不合适");
      [accept, edit, reject].forEach(function (b) { b.type = "button"; actions.appendChild(b); });
      li.appendChild(actions);

      function decide(kind, body) {
        return api("POST", conversationPath("/suggestions/" + encodeURIComponent(s.suggestion_id) + "/" + kind), body)
          .then(function () {
            li.classList.add("decided", kind);
            Array.prototype.forEach.call(li.querySelectorAll("button, textarea"), function (b) { b.disabled = true; });
            say(kind === "reject" ? "已标记为不合适" : "已发送给买家");
          })
          .catch(function (error) { say(error.message, true); });
      }

      accept.addEventListener("click", function () { decide("accept"); });
      reject.addEventListener("click", function () { decide("reject"); });
      edit.addEventListener("click", function () {
        if (li.querySelector("textarea")) return;
        var area = el("textarea", "suggestion-edit");
        area.value = s.text;
        area.maxLength = 2000;
        area.rows = 3;
        var send = el("button", "send-edited", "发送修改");
        send.type = "button";
        text.hidden = true;
        li.insertBefore(area, actions);
        actions.insertBefore(send, actions.firstChild);
        accept.hidden = true;
        edit.hidden = true;
        area.focus();
        send.addEventListener("click", function () { decide("edit", { text: area.value }); });
      });
      list.appendChild(li);
    });
    // The suggestions take room from the transcript: keep its latest message in view.
    if (pinned) transcript.scrollTop = transcript.scrollHeight;
  }

  function loadSuggestions() {
    var status = document.getElementById("suggestion-status");
    if (!status) return;
    status.textContent = "正在生成推荐回复…";
    api("POST", conversationPath("/suggestions"))
      .then(function (data) { renderSuggestions(data.suggestions || []); })
      .catch(function (error) { status.textContent = error.message; });
  }

  // --- panel --------------------------------------------------------------

  function fact(label, value) {
    var div = el("div", "fact");
    div.appendChild(el("span", "label", label));
    div.appendChild(el("span", "value", value === undefined || value === null || value === "" ? "—" : value));
    return div;
  }

  function renderPanel(panel) {
    var orders = document.getElementById("panel-orders");
    var shipment = document.getElementById("panel-shipment");
    var product = document.getElementById("panel-product");
    clear(orders); clear(shipment); clear(product);
    document.getElementById("panel-error").textContent = panel.error || "";
    if (!panel.orders.length) orders.appendChild(el("li", "muted", "没有订单"));
    panel.orders.forEach(function (o) {
      var li = el("li", "order" + (panel.order && panel.order.order_id === o.order_id ? " current" : ""));
      li.appendChild(el("span", "order-id", o.order_id));
      li.appendChild(el("span", "order-status", o.status_label));
      if (o.total !== undefined && o.total !== null) li.appendChild(el("span", "order-total", "¥" + o.total));
      if (o.items && o.items.length) li.appendChild(el("span", "order-items", o.items.join("，")));
      orders.appendChild(li);
    });
    if (panel.shipment) {
      shipment.className = "";
      shipment.appendChild(fact("承运", panel.shipment.carrier));
      shipment.appendChild(fact("运单号", panel.shipment.tracking_no));
      if (panel.shipment.eta) shipment.appendChild(fact("预计送达", dateTimeOf(panel.shipment.eta)));
      if (panel.shipment.latest) {
        shipment.appendChild(fact("最新", panel.shipment.latest.description));
        shipment.appendChild(fact("", (panel.shipment.latest.location || "") + " " + dateTimeOf(panel.shipment.latest.time)));
      }
    } else {
      shipment.className = "muted";
      shipment.textContent = "—";
    }
    if (panel.product) {
      product.className = "";
      product.appendChild(el("div", "product-name", panel.product.name));
      product.appendChild(fact("价格", panel.product.price !== null ? "¥" + panel.product.price : null));
      product.appendChild(fact("库存", panel.product.stock));
      Object.keys(panel.product.attributes || {}).slice(0, 6).forEach(function (k) {
        product.appendChild(fact(k, panel.product.attributes[k]));
      });
    } else {
      product.className = "muted";
      product.textContent = "—";
    }
  }

  function loadPanel() {
    api("GET", conversationPath("/panel"))
      .then(renderPanel)
      .catch(function (error) { document.getElementById("panel-error").textContent = error.message; });
  }

  // --- compose and hand back ------------------------------------------------

  if (conversationId) {
    var compose = document.getElementById("compose");
    var composeText = document.getElementById("compose-text");
    compose.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = composeText.value.trim();
      if (!text) return;
      api("POST", conversationPath("/messages"), { text: text })
        .then(function () { composeText.value = ""; say("已发送给买家"); })
        .catch(function (error) { say(error.message, true); });
    });
    composeText.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        compose.requestSubmit();
      }
    });
    document.getElementById("hand-back").addEventListener("click", function () {
      api("POST", conversationPath("/hand-back"))
        .then(function () { say("已交回机器人，买家的下一条消息由机器人回答"); })
        .catch(function (error) { say(error.message, true); });
    });
    document.getElementById("refresh-suggestions").addEventListener("click", loadSuggestions);
  }

  // --- live updates -------------------------------------------------------

  var source = new EventSource("/api/stream" + (conversationId ? "?conversation_id=" + encodeURIComponent(conversationId) : ""));
  source.addEventListener("queue", function (event) {
    queueItems = JSON.parse(event.data);
    renderQueue();
  });
  source.addEventListener("conversation", function (event) {
    renderConversation(JSON.parse(event.data));
  });
  source.addEventListener("logout", function () {
    source.close();
    window.location.href = "/login";
  });
  source.addEventListener("open", function () { root.dataset.live = "true"; });
})();
