// Behaviour htmx attributes do not cover: keyboard sending, keeping the composer usable, following
// the conversation in the URL, and staying scrolled to the newest text.
(() => {
  const form = () => document.getElementById('composer');
  const textarea = () => document.getElementById('message');
  const sendButton = () => document.getElementById('send');
  const messages = () => document.getElementById('messages');
  let lastSent = '';

  const autosize = (el) => {
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, window.innerHeight * 0.4)}px`;
  };

  document.addEventListener('keydown', (event) => {
    const el = event.target;
    if (!(el instanceof HTMLTextAreaElement) || el.id !== 'message') return;
    // Enter sends, Shift+Enter adds a line; IME composition (Japanese, Chinese input) must not send.
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (!sendButton()?.disabled && el.value.trim() !== '') form()?.requestSubmit();
    }
  });

  document.addEventListener('input', (event) => {
    if (event.target instanceof HTMLTextAreaElement) autosize(event.target);
  });

  document.addEventListener('click', (event) => {
    const button = event.target instanceof Element ? event.target.closest('.suggestion') : null;
    if (!button || !textarea()) return;
    textarea().value = button.dataset.question ?? '';
    form()?.requestSubmit();
  });

  // Clear the composer when a question leaves; put it back if the server refused it, so nothing
  // the user typed is lost.
  document.addEventListener('htmx:before:request', (event) => {
    if (event.target !== form()) return;
    for (const n of document.querySelectorAll('#messages > .notice')) n.remove();
    lastSent = textarea().value;
    textarea().value = '';
    autosize(textarea());
  });
  const restore = (event) => {
    if (event.target !== form() || !lastSent) return;
    if (textarea().value === '') textarea().value = lastSent;
    autosize(textarea());
  };
  document.addEventListener('htmx:response:error', restore);
  document.addEventListener('htmx:error', (event) => {
    restore(event);
    if (event.target === form()) {
      const note = document.createElement('div');
      note.className = 'notice error';
      note.setAttribute('role', 'alert');
      note.textContent = 'The server could not be reached. Your question is back in the box; try again.';
      messages()?.append(note);
    }
  });
  // A stream that breaks before it ends (network cut) must not leave a bubble "writing" forever.
  // Only the answer whose stream closed is marked: the form's stream owns the newest bubble it
  // created; a re-attached answer's stream starts from an element inside its own bubble.
  document.addEventListener('htmx:sse:close', (event) => {
    const source = event.target;
    const bubbles =
      source === form()
        ? [...document.querySelectorAll('.msg.assistant.streaming')].filter((b) => !b.querySelector('[hx-get]'))
        : [source instanceof Element ? source.closest('.msg.assistant.streaming') : null];
    for (const bubble of bubbles) {
      if (!bubble?.isConnected) continue;
      const status = bubble.querySelector('.status');
      if (status) {
        status.innerHTML =
          '<span class="badge failed" role="alert">The connection was lost. Reload to see the full answer.</span>';
      }
      bubble.classList.remove('streaming');
    }
    syncSendButton();
  });

  // One answer at a time: Send stays disabled while any answer on the page is being written,
  // including one the page re-attached to after a reload.
  const syncSendButton = () => {
    const button = sendButton();
    if (button) button.disabled = document.querySelector('.msg.assistant.streaming') !== null;
  };

  // Uploads go through XMLHttpRequest, the one browser API that reports upload progress; the
  // answer is the documents section, rendered by the server, which replaces the current one.
  document.addEventListener('submit', (event) => {
    const upload = event.target;
    if (!(upload instanceof HTMLFormElement) || upload.id !== 'upload-form') return;
    event.preventDefault();
    const progress = document.getElementById('upload-progress');
    const button = upload.querySelector('button[type="submit"]');
    const show = (html) => {
      const template = document.createElement('template');
      template.innerHTML = html;
      const section = template.content.getElementById('documents');
      const current = document.getElementById('documents');
      if (section && current) {
        current.replaceWith(section);
        window.htmx?.process(section);
      } else if (current) {
        current.prepend(template.content);
      }
    };
    const xhr = new XMLHttpRequest();
    xhr.open('POST', upload.action);
    xhr.setRequestHeader('HX-Request', 'true');
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable && progress) progress.value = Math.round((e.loaded / e.total) * 100);
    });
    xhr.addEventListener('load', () => {
      show(xhr.responseText);
      if (xhr.status < 400) upload.reset();
    });
    xhr.addEventListener('error', () => {
      show('<div class="notice error" role="alert">The upload failed: the server could not be reached.</div>');
    });
    xhr.addEventListener('loadend', () => {
      if (progress) progress.hidden = true;
      if (button) button.disabled = false;
    });
    if (progress) {
      progress.value = 0;
      progress.hidden = false;
    }
    if (button) button.disabled = true;
    xhr.send(new FormData(upload));
  });

  // On a phone the side bar is a drawer: the menu button opens it, and Escape, the backdrop or its
  // close button shut it, giving focus back to the menu button.
  const menuButton = () => document.querySelector('.menu-button');
  const setDrawer = (open) => {
    document.body.classList.toggle('drawer-open', open);
    menuButton()?.setAttribute('aria-expanded', String(open));
    if (open) document.querySelector('#sidebar .new-chat')?.focus();
    else menuButton()?.focus();
  };
  document.addEventListener('click', (event) => {
    const el = event.target instanceof Element ? event.target : null;
    if (el?.closest('.menu-button')) setDrawer(!document.body.classList.contains('drawer-open'));
    else if (el?.closest('[data-close-drawer]')) setDrawer(false);
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && document.body.classList.contains('drawer-open')) setDrawer(false);
  });

  document.addEventListener('ragchat:conversation', (event) => {
    const id = event.detail?.data;
    if (id && location.pathname !== `/c/${id}`) history.pushState({}, '', `/c/${id}`);
  });

  // Follow new text while the reader is at the bottom; leave them alone if they scrolled up.
  let pinned = true;
  document.addEventListener(
    'scroll',
    (event) => {
      const el = event.target;
      if (el instanceof Element && el.id === 'messages') pinned = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    },
    true,
  );
  const observer = new MutationObserver(() => {
    const el = messages();
    if (el && pinned) el.scrollTop = el.scrollHeight;
    syncSendButton();
  });
  document.addEventListener('DOMContentLoaded', () => {
    const el = messages();
    if (!el) return;
    observer.observe(el, { childList: true, subtree: true, characterData: true });
    el.scrollTop = el.scrollHeight;
    syncSendButton();
    textarea()?.focus();
  });
})();
