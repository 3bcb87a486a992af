"""The playground page (`GET /`) in a real headless browser: Debian's chromium and chromium-driver
(installed by Tools/test.sh), driven by Selenium from PyPI, against eliza-lambda on a free 127.0.0.1
port. A person's CACM 1966 conversation typed key by key, each exact reply and its trace, the model
picker, a new session, the API's errors; no request leaves the server's origin, nothing breaks the
Content-Security-Policy, the console stays clean; the script workbench (editor, checks, an edited
script answering). Screenshots go to .build/playground.png (desktop), .build/playground-phone.png and
.build/playground-workbench.png; with ELIZA_SCREENSHOT_DOCS=1 the desktop one is also written to
docs/playground.png, the README's picture.

The browser may resolve no host but 127.0.0.1 (--host-resolver-rules), every wait is an explicit
condition with a deadline, and a missing browser is a failure in a full run (ELIZA_NO_SKIPS=1).
"""

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from local_server import ROOT, Server, server_binary

selenium = pytest.importorskip("selenium", reason="selenium is installed by Tools/test.sh")
from selenium import webdriver  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

CACM = json.loads((ROOT.parent / "shared" / "reference" / "conversations" / "cacm-1966.json").read_text())
CHROMIUM = os.environ.get("ELIZA_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("ELIZA_CHROMEDRIVER", "/usr/bin/chromedriver")
BUILD = ROOT / ".build"
WAIT = 20

# Selenium must use the chromedriver given, never fetch one or report usage.
os.environ["SE_AVOID_STATS"] = "true"
os.environ["SE_OFFLINE"] = "true"

# Recorded in the page before its own script runs (CDP scripts are not subject to the page's CSP):
# every Content-Security-Policy violation and every uncaught error or rejection.
WATCH = """
window.__violations = [];
window.__errors = [];
document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI));
window.addEventListener("error", (e) => window.__errors.push(String(e.message)));
window.addEventListener("unhandledrejection", (e) => window.__errors.push(String(e.reason)));
"""


def browser(width=1280, height=900):
    for path in (CHROMIUM, CHROMEDRIVER):
        if not shutil.which(path):
            pytest.skip(f"{path} is missing: install Debian's chromium and chromium-driver (Tools/test.sh does)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-extensions", "--disable-default-apps", "--hide-scrollbars",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    options.add_experimental_option("perfLoggingPrefs", {"enableNetwork": True, "enablePage": False})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH})
    return driver


def requested_urls(driver):
    """Every URL the page asked for (CDP Network.requestWillBeSent, from the performance log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def origin(url):
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def wait(driver, condition, message):
    return WebDriverWait(driver, WAIT).until(condition, message)


def eliza_replies(driver):
    return driver.find_elements(By.CSS_SELECTOR, "#log .message.eliza[data-done]")


def say(driver, text):
    """Types a line into the text field key by key and presses Enter; returns ELIZA's finished reply."""
    before = len(eliza_replies(driver))
    field = wait(driver, EC.element_to_be_clickable((By.ID, "say")), "the text field is not ready")
    field.send_keys(text)
    field.send_keys(Keys.ENTER)
    wait(driver, lambda d: len(eliza_replies(d)) > before, f"no reply to {text!r}")
    return eliza_replies(driver)[-1]


def open_trace(driver, reply):
    """Opens a reply's trace panel from the keyboard (focus its summary, press Enter)."""
    summary = reply.find_element(By.CSS_SELECTOR, "details.trace > summary")
    driver.execute_script("arguments[0].focus()", summary)
    assert driver.switch_to.active_element == summary, "the trace summary cannot take the keyboard focus"
    summary.send_keys(Keys.ENTER)
    details = reply.find_element(By.CSS_SELECTOR, "details.trace")
    wait(driver, lambda d: details.get_attribute("open") is not None, "the trace did not open")
    return details


def elizac_traces():
    """`elizac chat --trace` over the CACM lines: the trace lines of each reply."""
    elizac = server_binary().with_name("elizac")
    assert elizac.exists(), f"{elizac} is missing (swift build makes it beside eliza-lambda)"
    lines = "".join(turn["user"] + "\n" for turn in CACM["turns"])
    run = subprocess.run([str(elizac), "chat", "--trace", str(ROOT / "Scripts" / "doctor.eliza")], input=lines,
                         capture_output=True, text=True, timeout=60, check=True)
    replies = []
    for line in run.stderr.splitlines():
        if line.startswith("trace: input: "):
            replies.append([])
        replies[-1].append(line)
    assert len(replies) == len(CACM["turns"])
    return replies


def screenshot(driver, path):
    """The whole page, as tall as its content, with no control focused (a focus ring is not content)."""
    driver.execute_script("document.activeElement && document.activeElement.blur()")
    width = driver.execute_script("return window.innerWidth")
    height = driver.execute_script("return Math.ceil(document.documentElement.scrollHeight)")
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    try:
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))
    assert path.stat().st_size > 10_000, f"{path} is suspiciously small"


def models(base_url, key=None):
    request = urllib.request.Request(base_url + "/models", headers={"Authorization": f"Bearer {key}"} if key else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["data"]


# The WCAG 2 contrast ratio of each matching element's text against the first opaque background
# behind it.
CONTRAST = """
const channels = (text) => text.match(/[\\d.]+/g).map(Number);
const luminance = ([r, g, b]) => {
  const linear = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
};
const background = (node) => {
  for (; node; node = node.parentElement) {
    const c = channels(getComputedStyle(node).backgroundColor);
    if (c.length < 4 || c[3] > 0) return c.slice(0, 3);
  }
  return [255, 255, 255];
};
return [...document.querySelectorAll(arguments[0])].map((node) => {
  const a = luminance(channels(getComputedStyle(node).color).slice(0, 3)), b = luminance(background(node));
  return [node.tagName + "." + node.className + " " + node.textContent.slice(0, 30), (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)];
});
"""
TEXT = ".message .text, .speaker, .trace summary, .trace dt, .trace dd, .kind, label, .field small, header p, footer, button"


def assert_clean(driver, server_origin, expected_paths):
    """No request left the origin, the expected ones were made, no CSP violation, no console error."""
    urls = requested_urls(driver)
    foreign = [url for url in urls if origin(url) != server_origin]
    assert not foreign, f"requests left {server_origin}: {foreign}"
    paths = {urlsplit(url).path for url in urls}
    assert expected_paths <= paths, f"expected requests to {sorted(expected_paths)}, saw {sorted(paths)}"
    assert driver.execute_script("return window.__violations") == []
    assert driver.execute_script("return window.__errors") == []
    return urls


@pytest.fixture(scope="module")
def server():
    s = Server()
    yield s
    s.stop()


def test_the_page_is_served_with_its_policy(server):
    assert server.playground_url == server.base_url[: -len("v1")], server.lines
    with urllib.request.urlopen(server.playground_url, timeout=10) as response:
        html = response.read().decode()
        headers = response.headers
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert html == (ROOT / "Web" / "playground.html").read_text(), "the page compiled in is Web/playground.html"
    policy = headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert not re.search(r"https?:|\*|unsafe-inline|unsafe-eval", policy), policy
    # The hash sources are exactly the SHA-256 of the inline script and style (checked with hashlib).
    for tag, directive in (("script", "script-src"), ("style", "style-src")):
        blocks = re.findall(rf"<{tag}>(.*?)</{tag}>", html, re.S)
        assert blocks, f"the page has no inline <{tag}>"
        hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()}'" for b in blocks)
        assert directives[directive] == hashes
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "the page names another host"
    with urllib.request.urlopen(server.playground_url + "favicon.ico", timeout=10) as response:
        assert response.headers["Content-Type"] == "image/svg+xml"
        assert response.read() == (ROOT / "Web" / "favicon.svg").read_bytes()
    # The page's "API" link: the OpenAPI document, relative so that it works under a stage prefix too.
    assert '<a href="openapi.yaml"' in html
    with urllib.request.urlopen(server.playground_url + "openapi.yaml", timeout=10) as response:
        assert response.headers["Content-Type"] == "application/yaml"
        assert response.read() == (ROOT / "docs" / "openapi.yaml").read_bytes()


def test_a_person_talks_to_eliza_in_the_browser(server):
    catalog = models(server.base_url)
    driver = browser()
    try:
        driver.get(server.playground_url)
        server_origin = origin(server.playground_url)
        greeting = wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, "#log .message.greeting .text")),
                        "no greeting")
        assert greeting.text == CACM["greeting"] == "HOW DO YOU DO. PLEASE TELL ME YOUR PROBLEM"
        picker = Select(driver.find_element(By.ID, "model"))
        assert [o.get_attribute("value") for o in picker.options] == [m["id"] for m in catalog]
        assert picker.first_selected_option.get_attribute("value") == "eliza"
        assert driver.switch_to.active_element == driver.find_element(By.ID, "say"), "the text field has the focus"
        # Every control has a label a screen reader announces.
        for control in ("model", "api-key", "say"):
            assert driver.find_element(By.CSS_SELECTOR, f"label[for='{control}']").text.strip()

        for number, turn in enumerate(CACM["turns"], 1):
            reply = say(driver, turn["user"])
            text = reply.find_element(By.CSS_SELECTOR, ".text")
            assert text.get_attribute("textContent") == turn["eliza"], f"turn {number}"
            assert text.text == turn["eliza"], f"turn {number}: shown differently from what ELIZA said"
            if number == 4:
                # The README's picture: four turns, the fourth reply's trace (a PRE) open.
                details = open_trace(driver, reply)
                assert "PRE YOU ARE DEPRESSED MUCH OF THE TIME then (=I)" in " ".join(details.text.split())
                screenshot(driver, BUILD / "playground.png")
                if os.environ.get("ELIZA_SCREENSHOT_DOCS") == "1":
                    shutil.copyfile(BUILD / "playground.png", ROOT / "docs" / "playground.png")
        you = [e.get_attribute("textContent") for e in driver.find_elements(By.CSS_SELECTOR, "#log .message.you .text")]
        assert you == [turn["user"] for turn in CACM["turns"]]

        # The first reply's trace: ALIKE, the (=DIT) link, DIT's decomposition and its part.
        first = eliza_replies(driver)[0]
        summary = first.find_element(By.CSS_SELECTOR, "details.trace > summary").text
        assert summary == "Trace: ALIKE \u2192 DIT, decomposition 1, reassembly 1 of 8", summary
        details = open_trace(driver, first)
        body = " ".join(details.text.split())
        assert "Input MEN ARE ALL ALIKE ." in body and "LIMIT 2" in body
        assert "Keystack ALIKE ARE" in body
        assert re.search(r"Keyword ALIKE \(doctor\.eliza line \d+\)", body), body
        assert "Link (=DIT)" in body
        assert "Decomposition 1 of DIT matched (0)" in body and "MEN ARE ALL ALIKE" in body
        raw = details.find_element(By.CSS_SELECTOR, "pre.raw").get_attribute("textContent")
        assert raw.splitlines() == elizac_traces()[0]
        # The last reply: a MEMORY recalled, laid down at turn 3.
        last = eliza_replies(driver)[-1]
        assert "a MEMORY recalled" in last.find_element(By.CSS_SELECTOR, "details.trace > summary").text
        details = open_trace(driver, last)
        assert "recalled: DOES THAT HAVE ANYTHING TO DO WITH THE FACT THAT YOUR BOYFRIEND MADE YOU COME HERE (4 left)" in details.text
        # Its raw form is exactly what `elizac chat --trace` prints for the same conversation.
        raw = details.find_element(By.CSS_SELECTOR, "pre.raw").get_attribute("textContent")
        assert raw.splitlines() == elizac_traces()[-1]

        # Readable contrast (WCAG AA, 4.5:1) for every kind of text on the page, traces open.
        ratios = driver.execute_script(CONTRAST, TEXT)
        assert len(ratios) > 50
        low = [(what, round(ratio, 2)) for what, ratio in ratios if ratio < 4.5]
        assert not low, low

        # Another script: a new session with its own greeting, then a Turing machine's answer.
        palindrome = next(m for m in catalog if m["id"] == "eliza-palindrome")
        picker.select_by_value("eliza-palindrome")
        wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#log .message")) == 1, "no new session")
        assert driver.find_element(By.CSS_SELECTOR, "#log .message.greeting .text").text == palindrome["eliza"]["greeting"]
        reply = say(driver, "PALP A B B A")
        assert reply.find_element(By.CSS_SELECTOR, ".text").get_attribute("textContent") == "TRUE"
        assert "Keyword PALP (palindrome.eliza line" in open_trace(driver, reply).text

        # Back to DOCTOR; "New session" forgets the conversation: the same line gets the first reply again.
        picker.select_by_value("eliza")
        wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, "#log .message.greeting .text").text == CACM["greeting"],
             "no DOCTOR greeting")
        assert say(driver, "Men are all alike.").find_element(By.CSS_SELECTOR, ".text").text == "IN WHAT WAY"
        assert say(driver, "Men are all alike.").find_element(By.CSS_SELECTOR, ".text").text != "IN WHAT WAY"
        driver.find_element(By.ID, "new-session").send_keys(Keys.ENTER)
        wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#log .message")) == 1, "the session was not cleared")
        assert say(driver, "Men are all alike.").find_element(By.CSS_SELECTOR, ".text").text == "IN WHAT WAY"

        # The page fits a phone's width without sideways scrolling.
        driver.set_window_size(390, 844)
        wait(driver, lambda d: d.execute_script("return window.innerWidth") <= 390, "the window did not narrow")
        assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(driver, BUILD / "playground-phone.png")

        urls = assert_clean(driver, server_origin, {"/", "/v1/models", "/v1/chat/completions"})
        assert sum(urlsplit(u).path == "/v1/chat/completions" for u in urls) == len(CACM["turns"]) + 4
        assert driver.find_element(By.LINK_TEXT, "API").get_attribute("href") == server.playground_url + "openapi.yaml"
        console = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
        assert console == [], console
    finally:
        driver.quit()


def test_errors_show_the_apis_message_and_the_key_is_kept(tmp_path):
    keyed = Server({"ELIZA_API_KEY": "sk-playground-test"})
    driver = browser()
    try:
        driver.get(keyed.playground_url)
        error = driver.find_element(By.ID, "error")
        wait(driver, EC.visibility_of(error), "no error shown without a key")
        assert error.text == "missing API key: send Authorization: Bearer <key> or x-api-key: <key>"
        key = driver.find_element(By.ID, "api-key")
        key.send_keys("sk-wrong", Keys.TAB)
        wait(driver, lambda d: error.text == "incorrect API key provided", "no error for a wrong key")
        key.clear()
        key.send_keys("sk-playground-test", Keys.TAB)
        wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, "#log .message.greeting")), "no greeting with the key")
        assert not error.is_displayed()
        assert say(driver, "Men are all alike.").find_element(By.CSS_SELECTOR, ".text").text == "IN WHAT WAY"

        # An API error on a line: the message is shown, the line comes back to the field, nothing is kept.
        driver.execute_script("document.getElementById('api-key').value = 'sk-changed'")
        field = driver.find_element(By.ID, "say")
        field.send_keys("I am unhappy.", Keys.ENTER)
        wait(driver, lambda d: error.is_displayed() and error.text == "incorrect API key provided", "no error shown")
        assert field.get_attribute("value") == "I am unhappy."
        assert len(driver.find_elements(By.CSS_SELECTOR, "#log .message")) == 3

        # The key is kept in local storage: a reload starts with it and needs nothing typed.
        driver.refresh()
        wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, "#log .message.greeting")), "no greeting after reload")
        assert driver.find_element(By.ID, "api-key").get_attribute("value") == "sk-playground-test"

        assert_clean(driver, origin(keyed.playground_url), {"/", "/v1/models", "/v1/chat/completions"})
        # The console holds only the browser's notes of the refused (401) API calls.
        console = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
        assert console and all(e["source"] == "network" and "401" in e["message"] for e in console), console
    finally:
        driver.quit()
        keyed.stop()


def editor_text(driver):
    return driver.find_element(By.ID, "script").get_attribute("value")


def wait_for_check(driver, text, message):
    """Waits until the check status says `text` (the debounced check has answered)."""
    status = driver.find_element(By.ID, "check-status")
    wait(driver, lambda d: text in status.text, f"{message}: the status says {status.text!r}")
    return status


def tab_to(driver, element_id, limit=60):
    """Moves the focus with Tab only until it reaches `element_id` (keyboard-only use)."""
    for _ in range(limit):
        if driver.switch_to.active_element.get_attribute("id") == element_id:
            return driver.switch_to.active_element
        driver.switch_to.active_element.send_keys(Keys.TAB)
    raise AssertionError(f"Tab never reached #{element_id}")


def test_the_script_workbench_edits_checks_and_answers_with_the_edit(server):
    """The editor panel from the keyboard: DOCTOR's source loaded, a syntax error shown on its line and
    cleared when fixed, then a reassembly of DOCTOR edited and answered with through eliza.script."""
    doctor = (ROOT / "Scripts" / "doctor.eliza").read_text()
    driver = browser()
    try:
        driver.get(server.playground_url)
        server_origin = origin(server.playground_url)
        wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, "#log .message.greeting")), "no greeting")
        # Open the panel from the keyboard: Tab to its summary, Enter.
        driver.find_element(By.ID, "say").send_keys(Keys.SHIFT, Keys.TAB)
        driver.execute_script("document.querySelector('#workbench > summary').focus()")
        driver.switch_to.active_element.send_keys(Keys.ENTER)
        wait(driver, lambda d: editor_text(d) == doctor, "the editor did not load DOCTOR's script")
        wait_for_check(driver, "No errors", "DOCTOR does not check clean")
        assert "Greeting: HOW DO YOU DO. PLEASE TELL ME YOUR PROBLEM" in driver.find_element(By.ID, "check-status").text
        download = driver.find_element(By.ID, "download-script")
        assert download.get_attribute("download") == "doctor.eliza"

        # A syntax error, typed: delete the ')' that closes the last rule (its last line is "(HOW)))").
        editor = tab_to(driver, "script")
        at = doctor.index("(HOW)))") + len("(HOW)))")
        rule_line = doctor[:doctor.rindex("\n(", 0, at) + 1].count("\n") + 1
        put_caret = "arguments[0].focus(); arguments[0].setSelectionRange(arguments[1], arguments[1])"
        driver.execute_script(put_caret, editor, at)
        editor.send_keys(Keys.BACKSPACE)
        wait_for_check(driver, "1 error", "no error shown for the unbalanced list")
        (diagnostic,) = driver.find_elements(By.CSS_SELECTOR, "#diagnostics button.diag-error")
        assert diagnostic.get_attribute("data-line") == str(rule_line)
        assert diagnostic.text == (f"line {rule_line}, column 1: error: expected ')' to close the list opened at "
                                   f"{rule_line}:1; the file ends inside it")
        marked = driver.find_elements(By.CSS_SELECTOR, "#gutter li.bad")
        assert [m.get_attribute("textContent") for m in marked] == [str(rule_line)]
        # Enter on the diagnostic puts the caret on its line and column.
        driver.execute_script("arguments[0].focus()", diagnostic)
        diagnostic.send_keys(Keys.ENTER)
        assert driver.switch_to.active_element == editor
        caret = driver.execute_script("return arguments[0].selectionStart", editor)
        assert editor_text(driver)[:caret].count("\n") == rule_line - 1
        # Fixing it clears it.
        driver.execute_script(put_caret, editor, at - 1)
        editor.send_keys(")")
        wait_for_check(driver, "No errors", "the error did not clear")
        assert editor_text(driver) == doctor
        assert driver.find_elements(By.CSS_SELECTOR, "#diagnostics button") == []
        assert driver.find_elements(By.CSS_SELECTOR, "#gutter li.bad") == []

        # Edit a reassembly: DIT's "(IN WHAT WAY)" becomes "(IN WHAT WAY EXACTLY)", typed at its end.
        at = editor_text(driver).index("(IN WHAT WAY)") + len("(IN WHAT WAY")
        driver.execute_script(put_caret, editor, at)
        editor.send_keys(" EXACTLY")
        wait_for_check(driver, "No errors", "the edited script does not check clean")
        # The download is what the editor holds.
        download.send_keys(Keys.ENTER)
        href = download.get_attribute("href")
        assert href.startswith("data:text/plain;charset=utf-8,")
        assert "(IN WHAT WAY EXACTLY)" in urllib.parse.unquote(href.split(",", 1)[1])
        # Answer with the edited script: Tab to the box, Space ticks it; a new session starts.
        tab_to(driver, "use-edited").send_keys(Keys.SPACE)
        assert driver.find_element(By.ID, "use-edited").is_selected()
        wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#log .message")) == 1, "no new session")
        reply = say(driver, "Men are all alike.")
        assert reply.find_element(By.CSS_SELECTOR, ".text").get_attribute("textContent") == "IN WHAT WAY EXACTLY"
        details = open_trace(driver, reply)
        assert "Reassembly 1 of 8 (DIT decomposition 1)" in " ".join(details.text.split())
        # The line numbers scroll with the text.
        scrolls = driver.execute_script("return [arguments[0].scrollTop, document.getElementById('gutter').scrollTop]",
                                        editor)
        assert scrolls[0] > 0 and scrolls[0] == scrolls[1], scrolls
        screenshot(driver, BUILD / "playground-workbench.png")
        # Ticked, an edit with an error is not replaced by the model's script: the API's 400 lists it.
        at_how = editor_text(driver).index("(HOW)))") + len("(HOW)))")
        driver.execute_script(put_caret, editor, at_how)
        editor.send_keys(Keys.BACKSPACE)
        wait_for_check(driver, "1 error", "no error shown for the second unbalanced list")
        field = driver.find_element(By.ID, "say")
        field.send_keys("Men are all alike.", Keys.ENTER)
        error = driver.find_element(By.ID, "error")
        wait(driver, EC.visibility_of(error), "no error shown for a chat with a broken edit")
        assert f"eliza.script has 1 error: script:{rule_line}:1: error: expected ')'" in error.text, error.text
        assert field.get_attribute("value") == "Men are all alike."
        field.clear()
        driver.execute_script(put_caret, editor, at_how - 1)
        editor.send_keys(")")
        wait_for_check(driver, "No errors", "the second error did not clear")
        # Unticked, the model's own script answers again.
        tab_to(driver, "use-edited").send_keys(Keys.SPACE)
        assert say(driver, "Men are all alike.").find_element(By.CSS_SELECTOR, ".text").text == "IN WHAT WAY"

        # Another model loads its own script; the box is cleared.
        Select(driver.find_element(By.ID, "model")).select_by_value("eliza-palindrome")
        wait(driver, lambda d: editor_text(d) == (ROOT / "Scripts" / "palindrome.eliza").read_text(),
             "the palindrome script did not load")
        assert not driver.find_element(By.ID, "use-edited").is_selected()
        assert driver.find_element(By.ID, "download-script").get_attribute("download") == "palindrome.eliza"

        # With the panel open the page still fits a phone's width.
        driver.set_window_size(390, 844)
        wait(driver, lambda d: d.execute_script("return window.innerWidth") <= 390, "the window did not narrow")
        assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")

        urls = assert_clean(driver, server_origin, {"/", "/v1/models", "/v1/models/eliza/script",
                                                    "/v1/models/eliza-palindrome/script", "/v1/scripts/check",
                                                    "/v1/chat/completions"})
        bodies = [u for u in urls if urlsplit(u).path == "/v1/scripts/check"]
        assert 3 <= len(bodies) < 40, f"{len(bodies)} checks: the check is not debounced"
        ratios = driver.execute_script(CONTRAST, ".workbench summary, .check-status, #diagnostics button, "
                                                 ".workbench-actions label, a.button, .gutter li, #script")
        low = [(what, round(ratio, 2)) for what, ratio in ratios if ratio < 4.5]
        assert not low, low
        # The console holds only the browser's note of the refused (400) chat with the broken edit.
        console = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
        assert len(console) == 1 and console[0]["source"] == "network" and "400" in console[0]["message"], console
    finally:
        driver.quit()
