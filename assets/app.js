// Behaviour htmx attributes do not cover: keyboard sending, keeping the composer usable, following
// the conversation in the URL, and staying scrolled to the newest text.
(() => {
  const form = () => document.getElementById('composer');
  const textarea = () => document.getElementById('message');
  const sendButton = () => document.getElementById('send');
  const messages = () => document.getElementById('messages');
  let lastSent = '';
  const say = window.ragchatSay;

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
      note.textContent = say(
        'unreachable',
        'The server could not be reached. Your question is back in the box; try again.',
      );
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
        const badge = document.createElement('span');
        badge.className = 'badge failed';
        badge.setAttribute('role', 'alert');
        badge.textContent = say('connectionLost', 'The connection was lost. Reload to see the full answer.');
        status.replaceChildren(badge);
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

  // Uploads, from the file field or dropped on the page (the Documents page or the chat): one
  // request per file, one after the other, each with its own line, progress bar and outcome.
  // XMLHttpRequest is the one browser API that reports upload progress.
  const dropTarget = () => document.querySelector('[data-drop-upload]');
  const uploadOne = (zone, file, line) =>
    new Promise((resolve) => {
      const progress = line.querySelector('progress');
      const outcome = line.querySelector('.upload-outcome');
      const body = new FormData();
      body.append('file', file);
      const collection = zone.querySelector('[name="collection"]');
      if (collection?.value) body.append('collection', collection.value);
      const xhr = new XMLHttpRequest();
      xhr.open('POST', zone.dataset.uploadUrl ?? zone.getAttribute('action') ?? '/docs/upload');
      xhr.setRequestHeader('HX-Request', 'true');
      xhr.upload.addEventListener('progress', (e) => {
        if (e.lengthComputable) progress.value = Math.round((e.loaded / e.total) * 100);
        if (e.loaded === e.total) outcome.textContent = say('indexing', 'Indexing…');
      });
      const finish = (kind, message, section) => {
        progress.hidden = true;
        outcome.className = `upload-outcome notice ${kind}`;
        outcome.setAttribute('role', kind === 'error' ? 'alert' : 'status');
        outcome.textContent = message;
        line.classList.remove('uploading');
        resolve(section);
      };
      xhr.addEventListener('load', () => {
        const template = document.createElement('template');
        template.innerHTML = xhr.responseText;
        const notice = template.content.querySelector('.notice');
        const kind =
          notice?.classList.contains('error') || xhr.status >= 400 ? 'error' : (notice?.classList[1] ?? 'success');
        finish(
          kind,
          notice?.textContent ?? say('uploadFailed', 'The upload failed ({status}).', { status: xhr.status }),
          template.content.getElementById('documents'),
        );
      });
      xhr.addEventListener('error', () =>
        finish('error', say('uploadUnreachable', 'The upload failed: the server could not be reached.'), null),
      );
      progress.hidden = false;
      outcome.textContent = say('uploading', 'Uploading…');
      line.classList.add('uploading');
      xhr.send(body);
    });
  const uploadAll = async (zone, files) => {
    const queue = zone.querySelector('.upload-queue') ?? document.getElementById('upload-queue');
    if (!queue || files.length === 0) return;
    const lines = files.map((file) => {
      const line = document.createElement('li');
      const name = document.createElement('span');
      name.className = 'upload-name';
      name.textContent = file.name;
      const progress = document.createElement('progress');
      progress.max = 100;
      progress.value = 0;
      progress.setAttribute('aria-label', say('uploadingFile', 'Uploading {name}', { name: file.name }));
      const outcome = document.createElement('span');
      outcome.className = 'upload-outcome';
      outcome.textContent = say('waiting', 'Waiting…');
      line.append(name, progress, outcome);
      queue.append(line);
      return line;
    });
    const button = zone.querySelector('button[type="submit"]');
    if (button) button.disabled = true;
    let section = null;
    for (const [i, file] of files.entries()) section = (await uploadOne(zone, file, lines[i])) ?? section;
    if (button) button.disabled = false;
    // The list as the server has it now, through the filter form when there is one (so the
    // filter and sort stay), else as the last upload answered it.
    const filter = document.getElementById('doc-filter');
    const current = document.getElementById('documents');
    if (filter && window.htmx) window.htmx.trigger(filter, 'submit');
    else if (section && current) current.replaceWith(section);
  };
  document.addEventListener('submit', (event) => {
    const upload = event.target;
    if (!(upload instanceof HTMLFormElement) || upload.id !== 'upload-form') return;
    event.preventDefault();
    const input = upload.querySelector('input[type="file"]');
    const files = [...(input?.files ?? [])];
    upload.reset();
    void uploadAll(upload, files);
  });
  // Dragging files over a page that takes them shows where they go; dropping them anywhere on it
  // uploads them.
  const carriesFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes('Files');
  let dragDepth = 0;
  const setDragging = (on) => document.body.classList.toggle('dragging-files', on);
  document.addEventListener('dragenter', (event) => {
    if (!dropTarget() || !carriesFiles(event)) return;
    dragDepth++;
    setDragging(true);
  });
  document.addEventListener('dragleave', () => {
    if (dragDepth > 0 && --dragDepth === 0) setDragging(false);
  });
  document.addEventListener('dragover', (event) => {
    if (!dropTarget() || !carriesFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
  });
  document.addEventListener('drop', (event) => {
    const zone = dropTarget();
    if (!zone || !carriesFiles(event)) return;
    event.preventDefault();
    dragDepth = 0;
    setDragging(false);
    void uploadAll(zone, [...event.dataTransfer.files]);
  });

  // Hovering or focusing a citation shows its passage: the title, where it is, and the snippet,
  // read from the sources panel the citation links to (a screen reader gets the snippet through
  // the link's aria-describedby instead).
  let preview = null;
  const hidePreview = () => {
    if (preview) preview.hidden = true;
  };
  const showPreview = (cite) => {
    const source = document.getElementById(decodeURIComponent(cite.hash.slice(1)));
    if (!source) return;
    if (!preview) {
      preview = document.createElement('div');
      preview.id = 'cite-preview';
      preview.className = 'cite-preview';
      preview.setAttribute('role', 'tooltip');
      document.body.append(preview);
    }
    const part = (selector, className) => {
      const from = source.querySelector(selector);
      if (!from) return null;
      const el = document.createElement('p');
      el.className = className;
      el.textContent = from.textContent;
      return el;
    };
    preview.replaceChildren(
      ...[
        part('.title', 'cite-preview-title'),
        part('.location', 'cite-preview-location'),
        part('.snippet', 'cite-preview-text'),
      ].filter(Boolean),
    );
    preview.hidden = false;
    const r = cite.getBoundingClientRect();
    const width = Math.min(360, window.innerWidth - 16);
    preview.style.width = `${width}px`;
    preview.style.left = `${Math.max(8, Math.min(r.left, window.innerWidth - width - 8))}px`;
    const below = r.bottom + 6;
    const height = preview.offsetHeight;
    preview.style.top = `${below + height > window.innerHeight ? Math.max(8, r.top - height - 6) : below}px`;
  };
  const citeOf = (event) => (event.target instanceof Element ? event.target.closest('a.cite') : null);
  document.addEventListener('mouseover', (event) => {
    const cite = citeOf(event);
    if (cite) showPreview(cite);
  });
  document.addEventListener('mouseout', (event) => {
    if (citeOf(event)) hidePreview();
  });
  document.addEventListener('focusin', (event) => {
    const cite = citeOf(event);
    if (cite) showPreview(cite);
    else hidePreview();
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') hidePreview();
  });
  document.addEventListener('scroll', hidePreview, true);

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

  // The language picker: choosing a language is the submission (its button is for pages without
  // this script, and is removed once it runs).
  document.addEventListener('change', (event) => {
    const select = event.target;
    if (select instanceof HTMLSelectElement && select.hasAttribute('data-autosubmit')) select.form?.requestSubmit();
  });
  document.addEventListener('DOMContentLoaded', () => {
    for (const button of document.querySelectorAll('[data-autosubmit-fallback]')) button.remove();
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
