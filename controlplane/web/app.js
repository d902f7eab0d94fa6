// SPDX-License-Identifier: BSD-3-Clause
// The voxrelay web chat client: the /ws/chat protocol (auth, chats, history, messages, typing, presence) in plain DOM.
'use strict';

(function () {
	const $ = (id) => document.getElementById(id);
	const TYPING_SEND_MS = 2000; // send "typing" at most this often
	const TYPING_SHOW_MS = 5000; // forget someone's typing after this long

	let ws = null;
	let me = null;
	let current = null; // the selected chat id
	let nextBefore = null; // history cursor of the selected chat
	let heartbeat = null;
	let lastError = null;
	let lastTyping = 0;
	let seq = 0;
	const pending = new Map(); // request id -> callback(data) for its reply
	const chats = new Map(); // chat id -> {id, name, type, members}
	const typists = new Map(); // user id -> timer

	function setStatus(text, kind) {
		$('status').textContent = text;
		$('status').dataset.kind = kind || 'info';
	}

	function request(type, data, cb) {
		if (!ws || ws.readyState !== WebSocket.OPEN)
			return;
		const id = 'q' + ++seq;
		pending.set(id, cb || null);
		ws.send(JSON.stringify({ type: type, data: data || {}, id: id }));
	}

	function sel(attr, value) {
		return '[' + attr + '="' + CSS.escape(value) + '"]';
	}

	// --- connection ---

	function connect(token) {
		const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
		lastError = null;
		setStatus('Connecting…');
		ws = new WebSocket(proto + '//' + location.host + '/ws/chat');
		ws.onmessage = (ev) => {
			let f;
			try {
				f = JSON.parse(ev.data);
			} catch (e) {
				return;
			}
			onFrame(f, token);
		};
		ws.onclose = (ev) => {
			ws = null;
			clearInterval(heartbeat);
			heartbeat = null;
			pending.clear();
			showLogin(true);
			setStatus((lastError ? lastError + ' — ' : '') + 'disconnected (' + ev.code + ')',
				lastError ? 'error' : 'info');
		};
	}

	function onFrame(f, token) {
		const d = f.data || {};
		if (f.type === 'error') {
			lastError = (d.code || 'ERROR') + (d.message ? ': ' + d.message : '');
			setStatus(lastError, 'error');
			if (f.id)
				pending.delete(f.id);
			return;
		}
		if (f.id && pending.has(f.id)) {
			const cb = pending.get(f.id);
			pending.delete(f.id);
			if (cb)
				cb(d);
			return;
		}
		if (f.type === 'hello') {
			request('auth', { token: token }, (r) => onReady(r, d.heartbeat_interval || 30000));
			return;
		}
		const h = events[f.type];
		if (h)
			h(d);
	}

	function onReady(d, interval) {
		me = d.userId;
		lastError = null;
		$('me').textContent = me;
		showLogin(false);
		setStatus('Connected as ' + me + (d.degraded ? ' (degraded)' : ''), 'ok');
		heartbeat = setInterval(() => request('heartbeat'), interval);
		for (const id of d.chats || [])
			chats.set(id, { id: id });
		renderChats();
		loadChats();
	}

	function showLogin(on) {
		$('login-form').hidden = !on;
		$('app').hidden = on;
		$('logout').hidden = on;
		if (on) {
			me = null;
			current = null;
			chats.clear();
			$('me').textContent = '';
		}
	}

	// --- chats ---

	function loadChats() {
		request('list_chats', {}, (d) => {
			chats.clear();
			for (const c of d.chats || [])
				chats.set(c.id, c);
			renderChats();
		});
	}

	function renderChats() {
		const ul = $('chat-list');
		ul.replaceChildren();
		for (const c of chats.values()) {
			const li = document.createElement('li');
			li.className = 'chat';
			li.dataset.id = c.id;
			if (c.id === current)
				li.classList.add('active');
			const b = document.createElement('button');
			b.type = 'button';
			b.textContent = (c.name || c.id) + (c.members !== undefined ? ' (' + c.members + ')' : '');
			b.addEventListener('click', () => selectChat(c.id));
			li.append(b);
			ul.append(li);
		}
	}

	function joined(d) {
		const c = d.chat || {};
		chats.set(c.id, c);
		selectChat(c.id);
	}

	function selectChat(id) {
		current = id;
		nextBefore = null;
		cancelEdit();
		$('messages').replaceChildren();
		$('presence').replaceChildren();
		clearTyping();
		const c = chats.get(id) || {};
		$('chat-title').textContent = c.name || id;
		$('input').disabled = $('send').disabled = false;
		renderChats();
		request('switch_chat', { chatId: id });
		loadHistory();
		loadPresence();
	}

	// --- messages ---

	function loadHistory(before) {
		const chatId = current;
		const data = { chatId: chatId, limit: 50 };
		if (before)
			data.before = before;
		request('history', data, (d) => {
			if (d.chatId !== current)
				return;
			for (const m of d.messages || []) // newest first: each goes above the one before
				addMessage(Object.assign({ chatId: chatId }, m), true);
			nextBefore = d.next_before || null;
			$('load-older').hidden = !nextBefore;
		});
	}

	function addMessage(m, atTop) {
		if (m.chatId !== current)
			return;
		const list = $('messages');
		if (list.querySelector(sel('data-id', m.messageId)))
			return;
		const li = document.createElement('li');
		li.className = 'msg';
		li.dataset.id = m.messageId;
		li.dataset.user = m.userId;
		const who = document.createElement('span');
		who.className = 'who';
		who.textContent = m.userId;
		const time = document.createElement('time');
		time.className = 'time';
		time.textContent = new Date(Number(m.timestamp) || Date.now()).toLocaleTimeString();
		const body = document.createElement('span');
		body.className = 'body';
		body.textContent = m.content;
		const edited = document.createElement('span');
		edited.className = 'edited';
		edited.textContent = m.editedAt ? '(edited)' : '';
		li.append(who, time, body, edited);
		if (m.userId === me) {
			li.classList.add('own');
			const e = document.createElement('button');
			e.type = 'button';
			e.className = 'edit';
			e.textContent = 'Edit';
			e.addEventListener('click', () => startEdit(li));
			const x = document.createElement('button');
			x.type = 'button';
			x.className = 'delete';
			x.textContent = 'Delete';
			x.addEventListener('click', () =>
				request('delete_message', { chatId: current, messageId: li.dataset.id }));
			li.append(e, x);
		}
		if (atTop) {
			list.prepend(li);
		} else {
			list.append(li);
			list.scrollTop = list.scrollHeight;
		}
	}

	function findMessage(d) {
		return d.chatId === current ? $('messages').querySelector(sel('data-id', d.messageId)) : null;
	}

	function startEdit(li) {
		$('compose').dataset.editing = li.dataset.id;
		$('input').value = li.querySelector('.body').textContent;
		$('send').textContent = 'Save';
		$('cancel-edit').hidden = false;
		$('input').focus();
	}

	function cancelEdit() {
		$('compose').dataset.editing = '';
		$('send').textContent = 'Send';
		$('cancel-edit').hidden = true;
		$('input').value = '';
	}

	function submit(ev) {
		ev.preventDefault();
		const content = $('input').value;
		const editing = $('compose').dataset.editing;
		if (!current || !content.trim())
			return;
		const chatId = current;
		if (editing) {
			request('edit_message', { chatId: chatId, messageId: editing, content: content });
			cancelEdit();
			return;
		}
		$('input').value = '';
		request('send_message', { chatId: chatId, content: content }, (d) =>
			addMessage({ messageId: d.messageId, chatId: chatId, userId: me, content: content,
				timestamp: d.timestamp }, false));
		if (lastTyping) {
			lastTyping = 0;
			request('typing', { chatId: chatId, typing: false });
		}
	}

	function onInput() {
		const now = Date.now();
		if (!current || $('compose').dataset.editing || now - lastTyping < TYPING_SEND_MS)
			return;
		lastTyping = now;
		request('typing', { chatId: current, typing: true });
	}

	// --- typing and presence ---

	function clearTyping() {
		for (const t of typists.values())
			clearTimeout(t);
		typists.clear();
		renderTyping();
	}

	function renderTyping() {
		const names = Array.from(typists.keys());
		const p = $('typing');
		p.textContent = names.length ? names.join(', ') + (names.length > 1 ? ' are' : ' is') + ' typing…' : '';
		p.dataset.users = names.join(' ');
	}

	function loadPresence() {
		const chatId = current;
		request('presence', { chatId: chatId }, (d) => {
			if (d.chatId !== current)
				return;
			$('presence').replaceChildren();
			for (const u of d.users || [])
				setPresence(u.userId, u.status);
		});
	}

	function setPresence(user, status) {
		const ul = $('presence');
		let li = ul.querySelector(sel('data-user', user));
		if (!li) {
			li = document.createElement('li');
			li.className = 'user';
			li.dataset.user = user;
			const before = Array.from(ul.children).find((x) => x.dataset.user > user);
			ul.insertBefore(li, before || null);
		}
		li.dataset.status = status;
		li.textContent = user + (user === me ? ' (you)' : '') + ' — ' + status;
	}

	const events = {
		message: (d) => addMessage(d, false),
		message_edited: (d) => {
			const li = findMessage(d);
			if (li) {
				li.querySelector('.body').textContent = d.content;
				li.querySelector('.edited').textContent = '(edited)';
			}
		},
		message_deleted: (d) => {
			const li = findMessage(d);
			if (li)
				li.remove();
		},
		typing: (d) => {
			if (d.chatId !== current || d.userId === me)
				return;
			clearTimeout(typists.get(d.userId));
			typists.delete(d.userId);
			if (d.typing)
				typists.set(d.userId, setTimeout(() => {
					typists.delete(d.userId);
					renderTyping();
				}, TYPING_SHOW_MS));
			renderTyping();
		},
		presence_update: (d) => {
			if (current && $('presence').querySelector(sel('data-user', d.userId)))
				setPresence(d.userId, d.status);
		},
		member_joined: (d) => {
			if (d.chatId === current)
				loadPresence();
			loadChats();
		},
		member_left: (d) => {
			if (d.chatId === current)
				loadPresence();
			loadChats();
		},
		// joined or created here or in another tab, or added by someone's create_chat
		chat_added: (d) => {
			if (!chats.has(d.chatId))
				loadChats();
		},
	};

	// --- wiring ---

	document.addEventListener('DOMContentLoaded', () => {
		$('login-form').addEventListener('submit', (ev) => {
			ev.preventDefault();
			const token = $('token').value.trim();
			if (token && !ws)
				connect(token);
		});
		$('logout').addEventListener('click', () => ws && ws.close(1000));
		$('refresh').addEventListener('click', loadChats);
		$('join-form').addEventListener('submit', (ev) => {
			ev.preventDefault();
			const data = { chatType: $('join-type').value.trim() };
			if ($('join-id').value.trim())
				data.chatId = $('join-id').value.trim();
			request('join_chat', data, joined);
		});
		$('create-form').addEventListener('submit', (ev) => {
			ev.preventDefault();
			const members = $('create-members').value.split(/[\s,]+/).filter((s) => s);
			request('create_chat', { name: $('create-name').value.trim(), chatType: 'group', members: members },
				joined);
		});
		$('compose').addEventListener('submit', submit);
		$('input').addEventListener('input', onInput);
		$('input').addEventListener('keydown', (ev) => {
			if (ev.key === 'Escape')
				cancelEdit();
		});
		$('cancel-edit').addEventListener('click', cancelEdit);
		$('load-older').addEventListener('click', () => nextBefore && loadHistory(nextBefore));
	});
})();
