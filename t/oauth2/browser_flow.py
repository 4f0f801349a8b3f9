#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A real browser (Debian's headless Chromium through chromedriver) walks
the authorization code flow through mod_csc's pages: the sign-in page, the
consent page, and the redirect back to the client with a code, which is
then exchanged and used for credentials/list.  Prints one JSON object with
what it saw; screenshots of both pages go to the directory given.

    browser_flow.py BASE CLIENT_ID SECRET REDIRECT_URI USER PASSWORD SHOTS
"""
import base64
import hashlib
import json
import os
import secrets
import sys
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait


def post(url, form, auth=None, json_body=None, bearer=None):
    data = (json.dumps(json_body).encode() if json_body is not None
            else urllib.parse.urlencode(form).encode())
    req = urllib.request.Request(url, data=data, method="POST")
    req.add_header("Content-Type", "application/json" if json_body is not None
                   else "application/x-www-form-urlencoded")
    if auth:
        req.add_header("Authorization", "Basic " + base64.b64encode(
            ("%s:%s" % auth).encode()).decode())
    if bearer:
        req.add_header("Authorization", "Bearer " + bearer)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def main():
    base, client_id, secret, redirect_uri, user, password, shots = sys.argv[1:8]
    os.makedirs(shots, exist_ok=True)
    verifier = secrets.token_urlsafe(32)
    challenge = base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(12)
    url = base + "/oauth2/authorize?" + urllib.parse.urlencode({
        "response_type": "code", "client_id": client_id,
        "redirect_uri": redirect_uri, "scope": "service", "state": state,
        "code_challenge": challenge, "code_challenge_method": "S256",
        "lang": "en-US", "prompt": "login"})
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
              "--disable-dev-shm-usage", "--window-size=900,760",
              "--user-data-dir=" + os.path.join(shots, "profile")):
        opts.add_argument(a)
    seen = {}
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"),
                              options=opts)
    try:
        wait = WebDriverWait(driver, 20)
        driver.get(url)
        # fields found by their labels, as assistive technology finds them
        label_user = driver.find_element(By.XPATH, "//label[@for='username']")
        label_pass = driver.find_element(By.XPATH, "//label[@for='password']")
        u = driver.find_element(By.ID, label_user.get_attribute("for"))
        p = driver.find_element(By.ID, label_pass.get_attribute("for"))
        seen["login_title"] = driver.title
        seen["login_labels"] = [label_user.text, label_pass.text]
        seen["autocomplete"] = [u.get_attribute("autocomplete"),
                                p.get_attribute("autocomplete")]
        seen["scripts"] = len(driver.find_elements(By.TAG_NAME, "script"))
        driver.save_screenshot(os.path.join(shots, "oauth2-login.png"))
        u.send_keys(user)
        p.send_keys("wrong-" + password)
        p.submit()
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".error")))
        seen["wrong_password"] = driver.find_element(By.CSS_SELECTOR, ".error").text
        p = driver.find_element(By.ID, "password")
        p.send_keys(password)
        p.submit()
        wait.until(ec.presence_of_element_located(
            (By.CSS_SELECTOR, "button[value=approve]")))
        seen["consent_title"] = driver.title
        seen["consent_text"] = driver.find_element(By.TAG_NAME, "main").text
        driver.save_screenshot(os.path.join(shots, "oauth2-consent.png"))
        driver.find_element(By.CSS_SELECTOR, "button[value=approve]").click()
        wait.until(lambda d: d.current_url.startswith(redirect_uri))
        landed = driver.current_url
        seen["landed_page"] = driver.find_element(By.ID, "landed").text
    finally:
        driver.quit()
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(landed).query))
    seen["state_matches"] = q.get("state") == state
    seen["iss"] = q.get("iss")
    code = q.get("code")
    status, tok = post(base + "/oauth2/token", {
        "grant_type": "authorization_code", "code": code,
        "redirect_uri": redirect_uri, "code_verifier": verifier},
        auth=(client_id, secret))
    seen["token_status"] = status
    seen["token_type"] = tok.get("token_type")
    status, creds = post(base + "/v2/credentials/list", None, json_body={},
                         bearer=tok.get("access_token"))
    seen["list_status"] = status
    seen["credentialIDs"] = creds.get("credentialIDs")
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
