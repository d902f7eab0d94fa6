#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# The web client (controlplane/web) in two headless Chromium sessions against voxrelay-cp and a real redis-server.
import os
import sys
import time

import cputil
from cputil import check

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT = 10  # seconds, for every wait on a page

if not os.path.exists(CHROMIUM):
    print("cp_web: SKIP, no chromium", file=sys.stderr)
    sys.exit(77)

from selenium import webdriver  # noqa: E402 (after the skip: python3-selenium comes with chromium)
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


class Page:
    """One headless Chromium with its own profile, showing the web client."""

    def __init__(self, name, workdir, base):
        self.name = name
        self.base = base
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--no-first-run", "--user-data-dir=" + os.path.join(workdir, "chromium-" + name)):
            opts.add_argument(a)
        opts.set_capability("goog:loggingOptions", {"browser": "ALL"})
        self.d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
        self.d.set_page_load_timeout(WAIT)

    def css(self, sel):
        return self.d.find_element(By.CSS_SELECTOR, sel)

    def all(self, sel):
        return self.d.find_elements(By.CSS_SELECTOR, sel)

    def wait(self, what, cond):
        """Wait until cond(self) is truthy; its value."""
        t = time.monotonic()
        try:
            # the app re-renders lists whole: an element found may be gone a moment later
            return WebDriverWait(self.d, WAIT, poll_frequency=0.1,
                                 ignored_exceptions=(StaleElementReferenceException,)).until(lambda _: cond(self))
        except Exception as e:
            raise cputil.Fail(f"{self.name}: timed out waiting for {what} (status: {self.status()!r})") from e
        finally:
            if time.monotonic() - t > 2:
                print(f"{self.name}: {what} took {time.monotonic() - t:.1f} s")

    def status(self):
        try:
            return self.css("#status").text
        except Exception:
            return "?"

    def shown(self, sel):
        els = self.all(sel)
        return els[0] if els and els[0].is_displayed() else None

    def type(self, sel, text, clear=True):
        el = self.css(sel)
        if clear:
            el.clear()
        el.send_keys(text)

    def login(self, token):
        self.d.get(self.base)
        self.type("#token", token)
        self.css("#login").click()

    def join(self, chat_type):
        self.type("#join-type", chat_type)
        self.css("#join").click()
        self.wait(f"chat {chat_type} selected", lambda p: p.all(f'#chat-list .chat.active[data-id="{chat_type}"]'))

    # read in one script, so that no element goes stale half way
    def presence(self):
        return dict(self.d.execute_script(
            "return Array.from(document.querySelectorAll('#presence .user'),"
            " u => [u.dataset.user, u.dataset.status]);"))

    def messages(self):
        return [tuple(m) for m in self.d.execute_script(
            "return Array.from(document.querySelectorAll('#messages .msg'),"
            " m => [m.dataset.user, m.querySelector('.body').textContent]);")]

    def console(self):
        try:
            return [e["message"] for e in self.d.get_log("browser")]
        except Exception:
            return []

    def quit(self):
        if self.d:
            self.d.quit()
            self.d = None


async def main(d):
    redis = cputil.Redis(d).start()
    gw = cputil.Gateway(sys.argv[1], d, redis.port).start()
    pages = []
    try:
        scenario(gw, d, pages)
    except BaseException:
        for p in pages:
            if p.d:
                print(f"--- {p.name}: status {p.status()!r}", file=sys.stderr)
                for line in p.console():
                    print(f"    console: {line}", file=sys.stderr)
        raise
    finally:
        for p in pages:
            p.quit()
        gw.stop()
        redis.stop()


def scenario(gw, d, pages):
    base = f"http://127.0.0.1:{gw.port}/"
    alice = Page("alice", d, base)
    pages.append(alice)
    bob = Page("bob", d, base)
    pages.append(bob)

    # log in: the app replaces the form, the status names the user
    for p in (alice, bob):
        p.login(cputil.token(p.name))
        p.wait("the chat view", lambda p: p.shown("#app"))
        check(p.name in p.status() and not p.shown("#login-form"), f"{p.name} logged in: {p.status()!r}")
    check(alice.d.title == "voxrelay chat", f"title: {alice.d.title!r}")

    # both join the public chat; each sees the other online
    alice.join("general")
    bob.join("general")
    for p, other in ((alice, "bob"), (bob, "alice")):
        p.wait(f"{other} online", lambda p: p.presence().get(other) == "online")
        check(p.presence() == {"alice": "online", "bob": "online"}, f"{p.name} presence: {p.presence()}")

    # alice types: bob sees the indicator; she sends: bob sees the message, escaped, and the indicator goes
    text = "hello bob <b>not bold</b> & 👋"
    alice.type("#input", text)
    bob.wait("alice's typing indicator", lambda p: "alice is typing" in p.css("#typing").text)
    alice.css("#send").click()
    bob.wait("alice's message", lambda p: ("alice", text) in p.messages())
    check(not bob.all("#messages b"), "message content is text, not markup")
    alice.wait("her own message", lambda p: ("alice", text) in p.messages())
    check(alice.css("#input").get_attribute("value") == "", "input cleared after sending")
    bob.wait("the typing indicator to go", lambda p: p.css("#typing").text == "")

    # and the other way
    bob.type("#input", "hi alice")
    bob.css("#send").click()
    alice.wait("bob's message", lambda p: ("bob", "hi alice") in p.messages())
    check(alice.messages() == [("alice", text), ("bob", "hi alice")], f"alice's order: {alice.messages()}")
    check(bob.messages() == alice.messages(), f"same on both pages: {bob.messages()}")
    # edit and delete buttons on one's own messages only
    check(len(alice.all('#messages .msg[data-user="alice"] .edit')) == 1 and
          not alice.all('#messages .msg[data-user="bob"] .edit'), "alice may edit only hers")

    # alice edits hers: bob sees the new text marked as edited
    mid = alice.css('#messages .msg[data-user="alice"]').get_attribute("data-id")
    alice.css(f'#messages .msg[data-id="{mid}"] .edit').click()
    check(alice.css("#input").get_attribute("value") == text, "edit puts the text in the input")
    alice.type("#input", "hello bob, edited")
    alice.css("#send").click()
    bob.wait("the edit", lambda p: p.css(f'#messages .msg[data-id="{mid}"] .body').text == "hello bob, edited")
    check(bob.css(f'#messages .msg[data-id="{mid}"] .edited').text == "(edited)", "marked as edited")

    # bob deletes his: gone from alice's page
    bmid = bob.css('#messages .msg[data-user="bob"]').get_attribute("data-id")
    bob.css(f'#messages .msg[data-id="{bmid}"] .delete').click()
    alice.wait("bob's message deleted", lambda p: not p.all(f'#messages .msg[data-id="{bmid}"]'))
    check(alice.messages() == [("alice", "hello bob, edited")], f"after the delete: {alice.messages()}")

    # a second message, then a fresh page: history oldest first, edits applied
    alice.type("#input", "second")
    alice.css("#send").click()
    bob.wait("the second message", lambda p: ("alice", "second") in p.messages())

    bad = [m for m in alice.console() if "Content Security Policy" in m or "Uncaught" in m]
    check(not bad, f"alice's console: {bad}")

    # alice's page closes: bob sees her offline
    alice.quit()
    bob.wait("alice offline", lambda p: p.presence().get("alice") == "offline")
    check(bob.presence() == {"alice": "offline", "bob": "online"}, f"bob's presence: {bob.presence()}")

    bob.login(cputil.token("bob"))
    bob.wait("the chat view again", lambda p: p.shown('#chat-list .chat[data-id="general"] button'))
    bob.css('#chat-list .chat[data-id="general"] button').click()
    bob.wait("the history", lambda p: len(p.messages()) == 2)
    check(bob.messages() == [("alice", "hello bob, edited"), ("alice", "second")], f"history: {bob.messages()}")
    check(bob.css(f'#messages .msg[data-id="{mid}"] .edited').text == "(edited)", "edit shown in history")
    bob.wait("alice offline in a fresh presence list", lambda p: p.presence().get("alice") == "offline")

    # a bad token: the page says why, and offers the form again
    bob.login(cputil.token("bob", secret=b"not the secret"))
    bob.wait("the auth error", lambda p: "AUTH_FAILED" in p.status())
    bob.wait("the login form back", lambda p: p.shown("#login-form"))
    check(not bob.shown("#app"), "no chat view without auth")
    check(bob.css("#status").get_attribute("data-kind") == "error", "shown as an error")

    # no CSP violation nor script error on the way
    bad = [m for m in bob.console() if "Content Security Policy" in m or "Uncaught" in m]
    check(not bad, f"bob's console: {bad}")


cputil.run(main, "cp_web")
