/* Passerelle — passkeys (WebAuthn). Loaded only by the pages that offer one: the login's code
   step (« Utiliser une clé d'accès ») and the registration step of the account page. A button
   `[data-cle-acces]` carries the options the server chose (`data-options`, JSON with binary
   fields in base64url); a press asks the browser (`navigator.credentials.create` or `.get`),
   writes its answer as JSON into the form's `credential` field and sends the form. The server
   checks everything; without this script the code fields keep working. */
(function () {
  "use strict";

  function fromB64url(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) {
      b64 += "=";
    }
    var raw = atob(b64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) {
      bytes[i] = raw.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toB64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) {
      raw += String.fromCharCode(bytes[i]);
    }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // The server's JSON names absent members `null`; the browser wants them left out.
  function withoutNulls(value) {
    if (Array.isArray(value)) {
      return value.map(withoutNulls);
    }
    if (value && typeof value === "object") {
      var out = {};
      Object.keys(value).forEach(function (k) {
        if (value[k] !== null && value[k] !== undefined) {
          out[k] = withoutNulls(value[k]);
        }
      });
      return out;
    }
    return value;
  }

  function decodeIds(list) {
    return (list || []).map(function (c) {
      c.id = fromB64url(c.id);
      return c;
    });
  }

  function creationOptions(options) {
    var pk = withoutNulls(options).publicKey;
    pk.challenge = fromB64url(pk.challenge);
    pk.user.id = fromB64url(pk.user.id);
    pk.excludeCredentials = decodeIds(pk.excludeCredentials);
    return { publicKey: pk };
  }

  function requestOptions(options) {
    var pk = withoutNulls(options).publicKey;
    pk.challenge = fromB64url(pk.challenge);
    pk.allowCredentials = decodeIds(pk.allowCredentials);
    return { publicKey: pk };
  }

  function answer(credential) {
    var r = credential.response;
    var response = { clientDataJSON: toB64url(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toB64url(r.attestationObject);
    } else {
      response.authenticatorData = toB64url(r.authenticatorData);
      response.signature = toB64url(r.signature);
      if (r.userHandle) {
        response.userHandle = toB64url(r.userHandle);
      }
    }
    return {
      id: credential.id,
      rawId: toB64url(credential.rawId),
      type: credential.type,
      response: response,
      extensions: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
    };
  }

  function showFailure(button) {
    var error = document.getElementById("cle-acces-erreur");
    if (!error) {
      return;
    }
    error.querySelector(".texte").textContent = button.dataset.texteEchec;
    error.hidden = false;
    error.setAttribute("role", "alert");
  }

  function enhance(button) {
    if (!window.PublicKeyCredential || !navigator.credentials) {
      return;
    }
    var section = document.getElementById("cle-acces");
    if (section) {
      section.hidden = false;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var options;
      try {
        options = JSON.parse(button.dataset.options);
      } catch (e) {
        showFailure(button);
        return;
      }
      var create = button.dataset.cleAcces === "creer";
      button.disabled = true;
      var asked = create
        ? navigator.credentials.create(creationOptions(options))
        : navigator.credentials.get(requestOptions(options));
      asked.then(
        function (credential) {
          var form = button.form;
          form.querySelector('input[name="credential"]').value = JSON.stringify(answer(credential));
          form.submit();
        },
        function () {
          button.disabled = false;
          showFailure(button);
        }
      );
    });
  }

  document.querySelectorAll("button[data-cle-acces]").forEach(enhance);
})();
