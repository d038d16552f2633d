// jsjb browser door: while a job runs, poll its small status endpoint and reload when it is done.
// Written for this project; no library. Without JavaScript the page's meta refresh does the same.
(function () {
  var box = document.getElementById("working");
  if (!box) return;
  var job = box.getAttribute("data-job");
  var list = document.getElementById("progress");
  function poll() {
    fetch("/status/" + encodeURIComponent(job), { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.status !== "running") { window.location.reload(); return; }
        list.textContent = "";
        (s.messages || []).forEach(function (m) {
          var li = document.createElement("li");
          li.textContent = m;
          list.appendChild(li);
        });
        setTimeout(poll, 400);
      })
      .catch(function () { setTimeout(poll, 1500); });
  }
  setTimeout(poll, 300);
})();
