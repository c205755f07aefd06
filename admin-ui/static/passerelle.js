/* Passerelle — the only script of the interface, and an optional one: every page works without it.
   It adds two things to the signed-in pages:
   1. uploads with a progress bar and drag and drop (forms `form.depot`), sent to the API with the
      session's anti-forgery token; refusals are shown next to the file field;
   2. a warning a few minutes before the session ends without activity, with a button to stay
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
    var frame = form.querySelector(".progression");
    var bar = form.querySelector("progress");
    var text = form.querySelector(".progression-texte");
    var button = form.querySelector('button[type="submit"]');
    var hint = input.getAttribute("aria-describedby").split(" ")[0];
    var d = form.dataset;
    var sending = false;
    var lastAnnounced = -1;

    form.classList.add("depot-actif");

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
      frame.hidden = true;
    }

    function clearError() {
      error.hidden = true;
      error.textContent = "";
      error.removeAttribute("role");
      form.querySelector(".champ").classList.remove("champ-en-erreur");
      input.removeAttribute("aria-invalid");
      input.setAttribute("aria-describedby", hint);
    }

    function progress(percent) {
      bar.value = percent;
      // Screen readers hear every tenth, not every event.
      var step = Math.floor(percent / 10);
      if (step !== lastAnnounced) {
        lastAnnounced = step;
        text.textContent = d.texteProgression.replace("{p}", String(percent));
      }
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

    function send(file) {
      if (sending) {
        return;
      }
      clearError();
      if (!file) {
        showError(d.texteAucun);
        input.focus();
        return;
      }
      var early = refusedEarly(file);
      if (early) {
        showError(early);
        input.focus();
        return;
      }
      sending = true;
      button.disabled = true;
      lastAnnounced = -1;
      frame.hidden = false;
      progress(0);
      var body = new FormData();
      body.append("file", file, file.name);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", d.api);
      xhr.setRequestHeader("X-CSRF-Token", csrfToken());
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable && e.total > 0) {
          progress(Math.min(100, Math.floor((e.loaded * 100) / e.total)));
        }
      });
      xhr.upload.addEventListener("load", function () {
        progress(100);
        text.textContent = d.texteVerification;
      });
      xhr.addEventListener("load", function () {
        sending = false;
        button.disabled = false;
        var answer = null;
        try {
          answer = JSON.parse(xhr.responseText);
        } catch (ignored) {
          answer = null;
        }
        if (xhr.status === 201 && answer && answer.id) {
          window.location.assign(d.retour + "?depose=" + encodeURIComponent(answer.id));
          return;
        }
        if (xhr.status === 401) {
          window.location.assign("/connexion?expire=1");
          return;
        }
        showError(answer && answer.message ? answer.message : d.texteReseau);
        input.focus();
      });
      xhr.addEventListener("error", function () {
        sending = false;
        button.disabled = false;
        showError(d.texteReseau);
        input.focus();
      });
      xhr.send(body);
    }

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      send(input.files && input.files[0]);
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
        try {
          input.files = files;
        } catch (ignored) {
          /* Older browsers: the file is sent all the same. */
        }
        send(files[0]);
      }
    });
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
    sessionWarning();
  });
})();
