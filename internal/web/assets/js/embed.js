// Chatbox embed script for host sites. Include it from the Chatbox server
// and mount the chat into an element; the token comes from your page:
//
//   <div id="chat"></div>
//   <script src="https://chat.example.com/chat/static/js/embed.js"></script>
//   <script>
//     ChatboxEmbed.mount(document.getElementById('chat'), {
//       token: () => fetch('/my/chat-token').then((r) => r.text()),
//       onConnected: (userID) => {},  // optional: the chat is live
//     });
//   </script>
//
// The chat runs in an iframe on the Chatbox origin; this script hands it
// the token with postMessage when the frame asks for it (on load and when
// the token expires). Your site's origin must be in WS_ALLOWED_ORIGINS.
(function () {
  'use strict';
  var script = document.currentScript;
  var chatURL = new URL('../../', script.src); // .../chat/static/js/embed.js -> .../chat/
  var chatOrigin = chatURL.origin;

  function mount(container, options) {
    var frame = document.createElement('iframe');
    frame.src = chatURL.href;
    frame.title = options.title || 'Chat';
    frame.className = 'chatbox-frame';
    frame.setAttribute('allow', 'clipboard-write');
    function handOver() {
      Promise.resolve(options.token()).then(function (token) {
        frame.contentWindow.postMessage({ type: 'chatbox:token', token: String(token) }, chatOrigin);
      });
    }
    window.addEventListener('message', function (ev) {
      if (ev.origin !== chatOrigin || ev.source !== frame.contentWindow || !ev.data) return;
      if (ev.data.type === 'chatbox:ready' || ev.data.type === 'chatbox:token_expired') handOver();
      if (ev.data.type === 'chatbox:connected' && options.onConnected) options.onConnected(ev.data.user_id);
    });
    container.appendChild(frame);
    return frame;
  }

  window.ChatboxEmbed = { mount: mount };
})();
