"""The working pages in headless Chromium (see scripts/browser-test). Usage: browser-test.py BASE_URL SCREENSHOT_DIR.

Each flow signs in through the page's own form, works only through pages (links, buttons, form fields), and is
checked afterwards through the JSON API. Every page visited is checked at phone and desktop size for horizontal
overflow and console errors, and photographed at both sizes."""
import json
import os
import sys
import traceback
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.support.ui import Select, WebDriverWait

BASE, SHOTS = sys.argv[1], sys.argv[2]
PHONE, DESKTOP = (390, 844), (1280, 900)
failures = []


def api(method, path, token, body=None, content_type="application/json"):
    data = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(BASE + "/v1" + path, data=data, method=method,
                                     headers={"Authorization": "Bearer " + token, "Content-Type": content_type})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message)


def new_application(name):
    """A new enterprise project of demo-investor with its filing submitted and every material attached: work for
    the development and reform window's queue (待受理)."""
    status, project = api("POST", "/projects", "demo-investor", {
        "workflow": "enterprise-investment", "name": name, "region": "330302", "attributes": {
            "approval-mode": "filing", "in-regional-assessment-zone": False, "land-supply": "transfer", "annual-energy-tce": 1500,
            "land-area-sqm": 32000, "eia-category": "report-book", "special-construction-project": True, "builds-civil-air-defence": True}})
    assert status == 201, project
    code = project["code"]
    status, material = api("POST", "/materials?name=%E7%94%B3%E8%AF%B7%E6%9D%90%E6%96%99", "demo-investor",
                           "%PDF-1.7\n申请材料\n".encode(), "application/pdf")
    assert status == 201, material
    item = next(i for i in project["items"] if i["id"] == "project-filing")
    for requirement in item.get("materials", []):
        status, body = api("PUT", f"/projects/{code}/items/project-filing/materials/{requirement['requirement']}", "demo-investor",
                           {"material": material["id"]})
        assert status == 200, body
    status, body = api("POST", f"/projects/{code}/items/project-filing/actions", "demo-investor", {"action": "submit"})
    assert status == 200, body
    return code


def browser():
    options = webdriver.ChromeOptions()
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=zh-CN"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path="/usr/bin/chromedriver")
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(30)
    return driver


ERROR_TITLES = {"未能完成", "表单已过期", "Not found", "Not allowed for this user"}


def look(driver, name, error_page=False):
    """The page as it is, at phone and at desktop size: no horizontal overflow, no console error, a screenshot each.
    Unless it is meant to be one, the page is not an error page (the browser gives no status; the heading tells)."""
    heading = driver.find_element(By.TAG_NAME, "h1").text
    check((heading in ERROR_TITLES) == error_page, f"{name}: the page's heading is {heading!r}")
    for label, (width, height) in [("phone", PHONE), ("desktop", DESKTOP)]:
        driver.set_window_rect(width=width, height=height)
        # The viewport itself is set (window sizes include the browser's frame in some versions).
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": label == "phone"})
        overflow = driver.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        check(overflow <= 0, f"{name} at {label} size scrolls sideways by {overflow} px")
        wide = driver.execute_script("""
            const w = document.documentElement.clientWidth;
            const scrolls = e => { for (let p = e.parentElement; p; p = p.parentElement) {
                if (['auto', 'scroll'].includes(getComputedStyle(p).overflowX)) return true; } return false; };
            return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w + 1 && !scrolls(e))
                .slice(0, 3).map(e => e.tagName + '.' + e.className + ': ' + (e.textContent || '').trim().slice(0, 40));""")
        check(not wide, f"{name} at {label} size: elements past the right edge: {wide}")
        driver.save_screenshot(os.path.join(SHOTS, f"{name}-{label}.png"))
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 1, "mobile": True})
    errors = [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    # An error page's own status (404, 409 …) is reported as a failed load; nothing else may be.
    check(not errors or (error_page and all("status of 4" in e for e in errors)), f"{name}: console errors {errors}")


def sign_in(driver, site, token):
    driver.delete_all_cookies()
    driver.get(f"{BASE}{site}/sign-in")
    driver.find_element(By.NAME, "token").send_keys(token)
    press(driver, driver.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    check("/sign-in" not in driver.current_url, f"{token} could not sign in to {site}: {driver.page_source[:300]}")


def gone(element):
    """The element's document was replaced. Mid-navigation Chromium may answer an inspector error instead of a
    stale reference; either way the old page is gone."""
    try:
        element.is_enabled()
        return False
    except WebDriverException:
        return True


def press(driver, button):
    """Clicks a form's button and waits for the page it leads to."""
    page = driver.find_element(By.TAG_NAME, "html")
    button.click()
    WebDriverWait(driver, 20).until(lambda d: gone(page))
    WebDriverWait(driver, 20).until(lambda d: d.execute_script("return document.readyState") == "complete")


def done_message(driver):
    found = driver.find_elements(By.CSS_SELECTOR, "p.done")
    return found[0].text if found else ""


def entry_for(driver, text):
    """The queue's or list's entry whose text contains `text`."""
    for entry in driver.find_elements(By.CSS_SELECTOR, "li.entry"):
        if text in entry.text:
            return entry
    raise AssertionError(f"no entry with {text!r} on {driver.current_url}:\n{driver.find_element(By.TAG_NAME, 'main').text[:800]}")


def reviewer_morning(driver, to_accept, to_supplement):
    sign_in(driver, "/m", "demo-reviewer")
    check(driver.current_url.endswith("/m/queue"), f"a reviewer lands on the queue, not {driver.current_url}")
    look(driver, "queue-to-accept")
    check("待受理" in driver.find_element(By.CSS_SELECTOR, "nav.tabs a.current").text, "the queue opens on what waits to be accepted")
    for code in [to_accept, to_supplement]:
        press(driver, entry_for(driver, code).find_element(By.XPATH, ".//button[@value='accept']"))
        check(done_message(driver).startswith("已受理"), f"accept said {done_message(driver)!r}")
    driver.get(f"{BASE}/m/queue?bucket=to_decide")

    # The supplement request names requirements from the item's list: on the project's page.
    press(driver, entry_for(driver, to_supplement).find_element(By.LINK_TEXT, "详情"))
    look(driver, "project-reviewer")
    item = driver.find_element(By.ID, "project-filing")
    details = next(d for d in item.find_elements(By.CSS_SELECTOR, "details.act") if "一次性告知补正" in d.text)
    details.find_element(By.TAG_NAME, "summary").click()
    boxes = details.find_elements(By.NAME, "requirement")
    check(len(boxes) > 0, "the supplement form lists the item's requirements")
    boxes[0].click()
    requirement = boxes[0].get_attribute("value")
    details.find_element(By.NAME, "missing").send_keys("法定代表人签字页")
    press(driver, details.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    check(done_message(driver).startswith("已发出补正通知"), f"the supplement request said {done_message(driver)!r}")

    driver.get(f"{BASE}/m/queue?bucket=to_decide")
    look(driver, "queue-to-decide")
    press(driver, entry_for(driver, to_accept).find_element(By.XPATH, ".//button[@value='approve']"))
    check(done_message(driver).startswith("已批准"), f"approve said {done_message(driver)!r}")
    driver.get(f"{BASE}/m/queue?bucket=waiting_on_applicant")
    look(driver, "queue-waiting")
    check(to_supplement in driver.find_element(By.TAG_NAME, "main").text, "the supplemented filing waits on the applicant")
    for bucket in ["extensions_to_decide", "formal_documents_owed", "commitments_due"]:
        driver.get(f"{BASE}/m/queue?bucket={bucket}")
        look(driver, f"queue-{bucket.replace('_', '-')}")
    # What the API refuses is shown on a page of its own, with the reason and a way back.
    driver.get(f"{BASE}/m/projects/2609-330302-89-01-999999")
    look(driver, "error-not-found", error_page=True)

    _, approved = api("GET", f"/projects/{to_accept}", "demo-reviewer")
    check(next(i for i in approved["items"] if i["id"] == "project-filing")["state"] == "approved", "the accepted filing is approved in the API")
    _, suspended = api("GET", f"/projects/{to_supplement}", "demo-reviewer")
    filing = next(i for i in suspended["items"] if i["id"] == "project-filing")
    check(filing["state"] == "suspended" and filing["suspension"]["reason"] == "supplement", f"the other filing waits on a supplement: {filing}")
    check([r["requirement"] for r in filing["suspension"].get("requirements", [])] == [requirement], f"the supplement names {requirement}: {filing}")
    check("法定代表人签字页" in filing["suspension"].get("missingMaterials", []), f"the supplement names the page in words: {filing}")


def agent_day(driver):
    sign_in(driver, "/m", "demo-agent")
    check(driver.current_url.endswith("/m/projects"), f"an agent lands on their projects, not {driver.current_url}")
    look(driver, "projects-agent")
    press(driver, driver.find_element(By.PARTIAL_LINK_TEXT, "温州示范智能装备产业园一期"))
    look(driver, "project-agent")
    check("窗口：资规局窗口 Demo · 0577-8800-2001" in driver.find_element(By.ID, "land-use-planning-permit").text,
          "the item names the window to call and its phone")
    code = driver.current_url.rstrip("/").split("/")[-1].split("?")[0]
    form = driver.find_element(By.CSS_SELECTOR, "form[action$='/progress']")
    Select(form.find_element(By.NAME, "kind")).select_by_value("site_visit")
    Select(form.find_element(By.NAME, "item")).select_by_value("land-use-planning-permit")
    form.find_element(By.NAME, "text").send_keys("现场核验用地红线，企业补充宗地图")
    driver.execute_script("arguments[0].value = '2026-12-15'", form.find_element(By.NAME, "nextStepOn"))
    press(driver, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    check(done_message(driver) == "进展已记录。", f"logging progress said {done_message(driver)!r}")
    _, updates = api("GET", f"/projects/{code}/progress", "demo-agent")
    logged = [u for u in updates["updates"] if u["text"] == "现场核验用地红线，企业补充宗地图"]
    check(len(logged) == 1 and logged[0]["kind"] == "site_visit" and logged[0].get("nextStepOn") == "2026-12-15"
          and logged[0].get("item") == "land-use-planning-permit", f"the progress shows in the API: {logged}")
    _, status = api("GET", f"/projects/{code}", "demo-agent")
    check(status.get("agency", {}).get("nextStepOn") == "2026-12-15", f"the project's next step is the one logged: {status.get('agency')}")

    case = driver.find_element(By.CSS_SELECTOR, "form[action$='/cases']")
    driver.execute_script("arguments[0].closest('details').open = true", case)
    case.find_element(By.NAME, "title").send_keys("宗地图与规划条件不一致")
    case.find_element(By.NAME, "description").send_keys("需资规局与发改局会商")
    press(driver, case.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    check(done_message(driver).startswith("疑难问题已提交"), f"raising a case said {done_message(driver)!r}")
    _, cases = api("GET", f"/projects/{code}/cases", "demo-agent")
    check(any(c["title"] == "宗地图与规划条件不一致" for c in cases["cases"]), f"the case shows in the API: {cases}")


def investor_rates(driver, code):
    sign_in(driver, "/m", "demo-investor")
    look(driver, "projects-investor")
    driver.get(f"{BASE}/m/projects/{code}")
    look(driver, "project-investor")
    item = driver.find_element(By.ID, "project-filing")
    details = next(d for d in item.find_elements(By.CSS_SELECTOR, "details.act") if "评价" in d.text)
    details.find_element(By.TAG_NAME, "summary").click()
    details.find_element(By.CSS_SELECTOR, "input[name=score][value='5']").click()
    details.find_element(By.NAME, "text").send_keys("窗口受理快，一次办结")
    press(driver, details.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    check(done_message(driver).startswith("评价已提交"), f"rating said {done_message(driver)!r}")
    _, ratings = api("GET", f"/projects/{code}/ratings", "demo-investor")
    check(any(r["subject"] == "project-filing" and r["score"] == 5 for r in ratings["ratings"]), f"the rating shows in the API: {ratings}")


def other_pages(driver):
    """The pages no flow above visits: the sign-in pages and the leaders' dashboard."""
    # The city's agency centre reads the region's queue department by department.
    sign_in(driver, "/m", "demo-coordinator")
    driver.get(f"{BASE}/m/queue")
    look(driver, "queue-coordinator")
    departments = driver.find_element(By.XPATH, "//details[summary[text()='按部门查看']]")
    departments.find_element(By.TAG_NAME, "summary").click()
    press(driver, departments.find_element(By.PARTIAL_LINK_TEXT, "发展和改革局"))
    check("待办 · 发展和改革局" in driver.find_element(By.TAG_NAME, "h1").text, "a department's queue from the breakdown")
    look(driver, "queue-coordinator-department")
    driver.delete_all_cookies()
    driver.get(f"{BASE}/m/sign-in")
    look(driver, "sign-in")
    driver.get(f"{BASE}/dashboard/sign-in")
    look(driver, "dashboard-sign-in")
    sign_in(driver, "/dashboard", "demo-leader")
    for name, path in [("dashboard", "/dashboard"), ("dashboard-overdue", "/dashboard/overdue"), ("dashboard-at-risk", "/dashboard/at-risk"),
                       ("dashboard-departments", "/dashboard/departments"), ("dashboard-project", "/dashboard/projects/2609-330302-89-01-100004")]:
        driver.get(BASE + path)
        look(driver, name)


driver = browser()
try:
    first, second = new_application("鹿城区浏览器测试厂房（受理）"), new_application("鹿城区浏览器测试仓库（补正）")
    reviewer_morning(driver, first, second)
    agent_day(driver)
    investor_rates(driver, first)
    other_pages(driver)
except Exception as error:  # a step that could not run at all (a missing element) is a failure with its page
    failures.append(f"{type(error).__name__}: {error}")
    driver.save_screenshot(os.path.join(SHOTS, "failure.png"))
    print("FAIL:", failures[-1], "\nat", driver.current_url)
    traceback.print_exc()
finally:
    driver.quit()

print(f"browser-test: {len(failures)} failures" if failures else "browser-test: every page and flow passed")
sys.exit(1 if failures else 0)
