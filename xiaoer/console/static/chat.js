// Buyer web chat on Rasa's socket.io channel. Every string from the network is put in the page
// with textContent or as an attribute of an element we create: never parsed as HTML.
(function () {
  "use strict";

  var root = document.getElementById("chat");
  var list = document.getElementById("messages");
  var form = document.getElementById("composer");
  var input = document.getElementById("message");
  var connection = document.getElementById("connection");

  // Who the buyer is: a token the store's page signed (#token=… in the address, never sent to a
  // server), or in development one the console minted for ?buyer=; else the visitor token this
  // tab was given before; else none (an anonymous visitor). The client never names a buyer.
  var VISITOR_KEY = "xiaoer_visitor_token";
  function buyerToken() {
    var fromHash = new URLSearchParams(window.location.hash.replace(/^#/, "")).get("token");
    if (fromHash) return { token: fromHash, visitor: false };
    if (root.dataset.token) return { token: root.dataset.token, visitor: false };
    var saved = window.sessionStorage.getItem(VISITOR_KEY);
    return saved ? { token: saved, visitor: true } : { token: null, visitor: true };
  }

  var identity = buyerToken();

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function safeUrl(value) {
    if (typeof value !== "string" || !value.trim()) return null;
    try {
      var url = new URL(String(value), window.location.href);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function scrollDown() {
    list.scrollTop = list.scrollHeight;
  }

  function row(who) {
    var item = el("li", "row " + who);
    if (who === "bot") item.appendChild(el("span", "avatar", "小二"));
    var bubble = el("div", "bubble");
    item.appendChild(bubble);
    list.appendChild(item);
    return bubble;
  }

  function addButtons(bubble, buttons) {
    if (!buttons || !buttons.length) return;
    var bar = el("div", "quick-replies");
    buttons.forEach(function (button) {
      var title = button.title || button.payload;
      var b = el("button", "quick-reply", title);
      b.type = "button";
      b.addEventListener("click", function () {
        send(String(button.payload || title), title);
      });
      bar.appendChild(b);
    });
    bubble.appendChild(bar);
  }

  function addText(bubble, text) {
    if (text) bubble.appendChild(el("p", "text", text));
  }

  function renderImage(bubble, src, alt, className) {
    var url = safeUrl(src);
    if (!url) return;
    var img = el("img", className || "media");
    img.src = url;
    img.alt = alt || "图片";
    img.loading = "lazy";
    img.addEventListener("click", function () {
      img.classList.toggle("zoomed");
    });
    bubble.appendChild(img);
  }

  function renderCustom(bubble, payload) {
    var type = payload.type || "text";
    bubble.dataset.type = type;
    if (type === "folded") {
      bubble.appendChild(el("p", "text summary", payload.summary || payload.text));
      var detail = el("div", "detail", payload.detail || "");
      detail.hidden = true;
      var toggle = el("button", "expand", "展开全文");
      toggle.type = "button";
      toggle.addEventListener("click", function () {
        detail.hidden = !detail.hidden;
        toggle.textContent = detail.hidden ? "展开全文" : "收起";
        scrollDown();
      });
      bubble.appendChild(detail);
      bubble.appendChild(toggle);
    } else if (type === "image") {
      addText(bubble, payload.text);
      renderImage(bubble, payload.image_url, payload.text);
    } else if (type === "screenshot") {
      addText(bubble, payload.text);
      var frame = el("div", "screenshot");
      renderImage(frame, payload.image_url, "商品详情页截图", "media shot");
      bubble.appendChild(frame);
    } else if (type === "video") {
      addText(bubble, payload.text);
      var video = el("video", "media");
      var src = safeUrl(payload.video_url);
      if (src) video.src = src;
      var poster = safeUrl(payload.poster_url);
      if (poster) video.poster = poster;
      video.controls = true;
      video.preload = "none";
      video.setAttribute("playsinline", "");
      bubble.appendChild(video);
    } else {
      addText(bubble, payload.text);
    }
    addButtons(bubble, payload.buttons);
  }

  function renderBot(data) {
    if (!data || typeof data !== "object") return;
    var bubble = row("bot");
    if (data.custom && typeof data.custom === "object") {
      renderCustom(bubble, data.custom);
    } else if (data.attachment && data.attachment.type === "image") {
      renderImage(bubble, data.attachment.payload && data.attachment.payload.src);
    } else {
      addText(bubble, data.text);
      addButtons(
        bubble,
        (data.quick_replies || data.buttons || []).map(function (b) {
          return { title: b.title, payload: b.payload };
        })
      );
    }
    scrollDown();
  }

  function renderBuyer(text) {
    addText(row("buyer"), text);
    scrollDown();
  }

  // Long-polling only: Rasa 3.6's Sanic server fails the websocket upgrade with its pinned
  // aiohttp (the client would fall back to polling anyway, after an error in Rasa's log).
  var socket = window.io(root.dataset.socketUrl, {
    path: "/socket.io",
    transports: ["polling"],
    auth: function (callback) {
      callback(identity.token ? { token: identity.token } : {});
    },
  });
  var ready = false;

  socket.on("connect", function () {
    socket.emit("session_request", {});
  });
  socket.on("session_confirm", function (buyer) {
    root.dataset.buyer = String(buyer || "");
    ready = true;
    root.dataset.ready = "true";
    connection.textContent = "在线 · 小二随时为您服务";
  });
  socket.on("disconnect", function () {
    ready = false;
    root.dataset.ready = "false";
    connection.textContent = "连接断开，正在重连…";
  });
  socket.on("visitor_token", function (token) {
    if (identity.visitor && typeof token === "string") {
      window.sessionStorage.setItem(VISITOR_KEY, token);
      identity.token = token;
    }
  });
  socket.on("connect_error", function (err) {
    if (err && err.message && err.message.indexOf("token") !== -1) {
      if (identity.visitor && identity.token) {
        // An old visitor token: start again as a new visitor.
        window.sessionStorage.removeItem(VISITOR_KEY);
        identity.token = null;
        socket.connect();
        return;
      }
      connection.textContent = "登录状态已失效，请刷新页面后再试";
      return;
    }
    connection.textContent = "暂时连不上客服，正在重试…";
  });
  socket.on("bot_uttered", renderBot);

  function send(message, shown) {
    message = String(message || "").trim();
    if (!message) return;
    if (!ready) {
      connection.textContent = "还没连上，请稍候再发";
      return;
    }
    renderBuyer(shown || message);
    socket.emit("user_uttered", { message: message });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    send(input.value);
    input.value = "";
    input.focus();
  });
})();
