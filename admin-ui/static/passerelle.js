/* Passerelle — the only script of the interface, and an optional one: every page works without it.
   It adds three things to the signed-in pages:
   1. uploads of one or several files (picked or dropped), each with its progress bar and a cancel
      button, sent one after the other to the API with the session's anti-forgery token (forms
      `form.depot`); refusals are shown next to the file field or the file;
   2. sorting the file tables in place (`table.fichiers`), as their column links do on the server;
   3. a warning a few minutes before the session ends without activity, with a button to stay
      signed in, then the "session expired" page when it has ended.
   Every text comes from the page (data-* attributes), in the page's language. */
(function () {
  "use strict";

  var WARN_BEFORE_SECONDS = 5 * 60;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  /* ---- Uploads ---- */

  function enhanceUpload(form) {
    var input = form.querySelector('input[type="file"]');
    var zone = form.querySelector(".zone-depot");
    var error = form.querySelector(".message-erreur");
    var list = form.querySelector(".envois");
    var hint = input.getAttribute("aria-describedby").split(" ")[0];
    var d = form.dataset;
    var queue = [];
    var current = null;
    var sent = [];
    var troubles = 0;

    form.classList.add("depot-actif");
    // Several files at once with the script; without it, the form sends one.
    input.multiple = true;

    function showError(message) {
      error.textContent = "";
      var prefix = document.createElement("span");
      prefix.className = "prefixe";
      prefix.textContent = d.textePrefixe + " ";
      error.appendChild(prefix);
      error.appendChild(document.createTextNode(message));
      error.hidden = false;
      error.setAttribute("role", "alert");
      form.querySelector(".champ").classList.add("champ-en-erreur");
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", hint + " " + error.id);
    }

    function clearError() {
      error.hidden = true;
      error.textContent = "";
      error.removeAttribute("role");
      form.querySelector(".champ").classList.remove("champ-en-erreur");
      input.removeAttribute("aria-invalid");
      input.setAttribute("aria-describedby", hint);
    }

    function refusedEarly(file) {
      var dot = file.name.lastIndexOf(".");
      var ext = dot > 0 ? file.name.slice(dot).toLowerCase() : "";
      var accepted = d.accept.split(",");
      if (accepted.indexOf(ext) === -1) {
        return d.texteType;
      }
      if (file.size > Number(d.maxBytes)) {
        return d.texteTropGros;
      }
      return null;
    }

    /* One line of the list: name, progress bar, state, cancel button. */
    function item(file) {
      var li = document.createElement("li");
      li.className = "envoi";
      var name = document.createElement("span");
      name.className = "envoi-nom";
      name.textContent = file.name;
      var bar = document.createElement("progress");
      bar.max = 100;
      bar.value = 0;
      bar.setAttribute("aria-label", d.texteBarre + " : " + file.name);
      var state = document.createElement("span");
      state.className = "envoi-etat";
      state.setAttribute("role", "status");
      state.textContent = d.texteAttente;
      var cancel = document.createElement("button");
      cancel.type = "button";
      cancel.className = "bouton-secondaire envoi-annuler";
      cancel.textContent = d.texteAnnuler;
      var hidden = document.createElement("span");
      hidden.className = "visuellement-cache";
      hidden.textContent = " " + file.name;
      cancel.appendChild(hidden);
      li.appendChild(name);
      li.appendChild(bar);
      li.appendChild(state);
      li.appendChild(cancel);
      list.appendChild(li);
      list.hidden = false;
      var job = { file: file, li: li, bar: bar, state: state, cancel: cancel, xhr: null, announced: -1 };
      cancel.addEventListener("click", function () {
        if (job.xhr) {
          job.xhr.abort();
        } else {
          var at = queue.indexOf(job);
          if (at !== -1) {
            queue.splice(at, 1);
          }
          finish(job, "annule", d.texteAnnule);
          next();
        }
      });
      return job;
    }

    function finish(job, outcome, text) {
      job.li.classList.add("envoi-" + outcome);
      job.state.textContent = text;
      job.cancel.hidden = true;
      job.xhr = null;
      if (outcome !== "fini") {
        troubles += 1;
      }
    }

    function progress(job, percent) {
      job.bar.value = percent;
      // Screen readers hear every tenth, not every event.
      var step = Math.floor(percent / 10);
      if (step !== job.announced) {
        job.announced = step;
        job.state.textContent = d.texteProgression.replace("{p}", String(percent));
      }
    }

    function updatedList() {
      return d.retour + "?depose=" + sent.map(encodeURIComponent).join(",");
    }

    /* Every upload done: the page shows the new list; after a refusal or a cancellation, the
       list of uploads stays, with a link to the updated page. */
    function allDone() {
      if (troubles === 0 && sent.length > 0) {
        window.location.assign(updatedList());
        return;
      }
      if (sent.length > 0 && !form.querySelector(".envois-suite")) {
        var p = document.createElement("p");
        p.className = "envois-suite";
        var a = document.createElement("a");
        a.href = updatedList();
        a.textContent = d.texteAfficher;
        p.appendChild(a);
        list.parentNode.insertBefore(p, list.nextSibling);
      }
    }

    function next() {
      if (current) {
        return;
      }
      var job = queue.shift();
      if (!job) {
        allDone();
        return;
      }
      current = job;
      progress(job, 0);
      var body = new FormData();
      body.append("file", job.file, job.file.name);
      var xhr = new XMLHttpRequest();
      job.xhr = xhr;
      xhr.open("POST", d.api);
      xhr.setRequestHeader("X-CSRF-Token", csrfToken());
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable && e.total > 0) {
          progress(job, Math.min(100, Math.floor((e.loaded * 100) / e.total)));
        }
      });
      xhr.upload.addEventListener("load", function () {
        progress(job, 100);
        job.state.textContent = d.texteVerification;
      });
      function done(outcome, text) {
        finish(job, outcome, text);
        current = null;
        next();
      }
      xhr.addEventListener("load", function () {
        var answer = null;
        try {
          answer = JSON.parse(xhr.responseText);
        } catch (ignored) {
          answer = null;
        }
        if (xhr.status === 201 && answer && answer.id) {
          sent.push(answer.id);
          done("fini", d.texteFini);
          return;
        }
        if (xhr.status === 401) {
          window.location.assign("/connexion?expire=1");
          return;
        }
        done("refuse", d.textePrefixe + " " + (answer && answer.message ? answer.message : d.texteReseau));
      });
      xhr.addEventListener("abort", function () {
        done("annule", d.texteAnnule);
      });
      xhr.addEventListener("error", function () {
        done("refuse", d.textePrefixe + " " + d.texteReseau);
      });
      xhr.send(body);
    }

    function send(files) {
      clearError();
      if (!files || files.length === 0) {
        showError(d.texteAucun);
        input.focus();
        return;
      }
      var refused = [];
      var accepted = [];
      for (var i = 0; i < files.length; i += 1) {
        var early = refusedEarly(files[i]);
        if (early) {
          refused.push(files.length > 1 ? files[i].name + " : " + early : early);
        } else {
          accepted.push(files[i]);
        }
      }
      if (refused.length > 0) {
        showError(refused.join(" "));
        input.focus();
      }
      if (accepted.length === 0) {
        return;
      }
      for (var j = 0; j < accepted.length; j += 1) {
        queue.push(item(accepted[j]));
      }
      // Queued: the field is free for the next choice.
      try {
        input.value = "";
      } catch (ignored) {
        /* Nothing to clear. */
      }
      next();
    }

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      send(input.files);
    });

    zone.addEventListener("dragover", function (e) {
      e.preventDefault();
      zone.classList.add("zone-survolee");
    });
    zone.addEventListener("dragleave", function () {
      zone.classList.remove("zone-survolee");
    });
    zone.addEventListener("drop", function (e) {
      e.preventDefault();
      zone.classList.remove("zone-survolee");
      var files = e.dataTransfer && e.dataTransfer.files;
      if (files && files.length > 0) {
        send(files);
      }
    });
  }

  /* ---- Sorting the file tables ---- */

  /* The column headings are links that sort on the server (`?tri=…&ordre=…`); with the script,
     the same order is applied in place, and the address updated. */
  function enhanceSorting(table) {
    var headings = table.querySelectorAll("thead th[data-cle]");
    var numeric = { date: true, taille: true };

    function valueOf(body, key) {
      var v = body.getAttribute("data-" + key) || "";
      return numeric[key] ? Number(v) : v.toLowerCase();
    }

    function sortBy(key, descending) {
      var bodies = Array.prototype.slice.call(table.querySelectorAll("tbody.fichier"));
      bodies.sort(function (a, b) {
        var x = valueOf(a, key);
        var y = valueOf(b, key);
        var order = 0;
        if (numeric[key]) {
          order = x - y;
        } else {
          order = x.localeCompare(y, document.documentElement.lang);
        }
        return descending ? -order : order;
      });
      for (var i = 0; i < bodies.length; i += 1) {
        table.appendChild(bodies[i]);
      }
      for (var j = 0; j < headings.length; j += 1) {
        var th = headings[j];
        var same = th.getAttribute("data-cle") === key;
        th.setAttribute("aria-sort", same ? (descending ? "descending" : "ascending") : "none");
      }
    }

    for (var i = 0; i < headings.length; i += 1) {
      (function (th) {
        var link = th.querySelector("a");
        link.addEventListener("click", function (e) {
          var url = new URL(link.href, window.location.href);
          var key = url.searchParams.get("tri");
          var descending = url.searchParams.get("ordre") === "desc";
          e.preventDefault();
          // Every table of the page follows the same order, as the server would show it.
          var tables = document.querySelectorAll("table.fichiers");
          for (var k = 0; k < tables.length; k += 1) {
            if (tables[k].passerelleSort) {
              tables[k].passerelleSort(key, descending);
            }
          }
          window.history.replaceState(null, "", url.pathname + url.search + url.hash);
          link.focus();
        });
      })(headings[i]);
    }

    /* Each heading's link then offers the other order, as the server's page would. */
    table.passerelleSort = function (key, descending) {
      sortBy(key, descending);
      for (var j = 0; j < headings.length; j += 1) {
        var a = headings[j].querySelector("a");
        var u = new URL(a.href, window.location.href);
        var k = headings[j].getAttribute("data-cle");
        var down = k === key ? !descending : numeric[k] === true;
        u.searchParams.set("ordre", down ? "desc" : "asc");
        a.href = u.pathname + u.search + u.hash;
      }
    };
  }

  /* ---- Session expiry warning ---- */

  function sessionWarning() {
    var box = document.getElementById("avertissement-session");
    if (!box || !csrfToken()) {
      return;
    }
    var message = box.querySelector(".avertissement-texte");
    var stay = box.querySelector("button");
    var timer = null;

    function expired() {
      window.location.assign("/connexion?expire=1");
    }

    function ask(path, then) {
      var xhr = new XMLHttpRequest();
      xhr.open("GET", path);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.addEventListener("load", function () {
        if (xhr.status === 401) {
          expired();
          return;
        }
        try {
          then(JSON.parse(xhr.responseText).restant);
        } catch (ignored) {
          /* Unknown answer: try again in a minute. */
          then(WARN_BEFORE_SECONDS + 60);
        }
      });
      xhr.send();
    }

    function schedule(left) {
      window.clearTimeout(timer);
      if (left <= 0) {
        expired();
        return;
      }
      if (left <= WARN_BEFORE_SECONDS) {
        var minutes = Math.max(1, Math.ceil(left / 60));
        message.textContent = box.dataset.texte.replace("{m}", String(minutes));
        box.hidden = false;
        timer = window.setTimeout(check, Math.min(left, 60) * 1000);
      } else {
        box.hidden = true;
        timer = window.setTimeout(check, (left - WARN_BEFORE_SECONDS) * 1000);
      }
    }

    function check() {
      ask("/session/etat", schedule);
    }

    stay.addEventListener("click", function () {
      ask("/session/prolonger", schedule);
    });
    // Timers stop while a computer sleeps: ask again when the page comes back into view.
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") {
        check();
      }
    });
    window.addEventListener("focus", check);
    check();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("form.depot");
    for (var i = 0; i < forms.length; i += 1) {
      enhanceUpload(forms[i]);
    }
    var tables = document.querySelectorAll("table.fichiers");
    for (var j = 0; j < tables.length; j += 1) {
      enhanceSorting(tables[j]);
    }
    sessionWarning();
  });
})();
