// jsjb browser door. Written for this project; no library. Everything works without JavaScript
// (the working page refreshes itself); this only makes it smoother.
(function () {
  "use strict";

  // A job waiting or running: poll its small status endpoint; show place in queue, step and count.
  var box = document.getElementById("working");
  if (box) {
    var job = box.getAttribute("data-job");
    var list = document.getElementById("progress");
    var state = document.getElementById("state");
    var bar = document.getElementById("bar");
    var poll = function () {
      fetch("/status/" + encodeURIComponent(job), { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          if (s.state !== "queued" && s.state !== "running") { window.location.reload(); return; }
          if (s.state === "queued") {
            state.textContent = "排队中：第 " + s.position + " 位。服务器正在处理 " + s.running +
              " 个任务（最多同时 " + s.workers + " 个），轮到时自动开始。";
          } else {
            state.textContent = "正在处理：" + s.step;
          }
          if (s.count) { bar.hidden = false; bar.max = s.count[1]; bar.value = s.count[0]; }
          list.textContent = "";
          (s.messages || []).forEach(function (m) {
            var li = document.createElement("li");
            li.textContent = m;
            list.appendChild(li);
          });
          setTimeout(poll, 500);
        })
        .catch(function () { setTimeout(poll, 1500); });
    };
    setTimeout(poll, 300);
  }

  // The ledger view: a horizontal scrollbar above the table, kept in step with the table's own.
  var wrap = document.getElementById("ledger-wrap");
  var top = document.getElementById("scroll-top");
  if (wrap && top) {
    var inner = top.firstElementChild;
    var size = function () {
      inner.style.width = wrap.scrollWidth + "px";
      top.hidden = wrap.scrollWidth <= wrap.clientWidth;
    };
    var busy = false;
    var follow = function (from, to) {
      return function () {
        if (busy) { return; }
        busy = true;
        to.scrollLeft = from.scrollLeft;
        window.requestAnimationFrame(function () { busy = false; });
      };
    };
    top.addEventListener("scroll", follow(top, wrap));
    wrap.addEventListener("scroll", follow(wrap, top));
    window.addEventListener("resize", size);
    size();
  }
})();
