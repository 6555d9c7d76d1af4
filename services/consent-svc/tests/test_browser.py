"""The voter pages in a real headless Chromium, served over a real socket."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
import support
from pages_support import preference_path, states, unsubscribe_path
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from support import manager

from isoloir.localbroker import LocalBroker
from isoloir.testing.plugin import RunningService
from isoloir.testing.postgres import DatabaseFactory
from isoloir.testing.tokens import Tokens

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1000,1400",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not found: install Debian's browser first with "
            "`apt-get update && apt-get install -y chromium chromium-driver`"
        )
    profile = tempfile.mkdtemp(prefix="consent-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    # Never let Selenium look for a driver on the network.
    os.environ["SE_OFFLINE"] = "true"
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def served(broker: LocalBroker, databases: DatabaseFactory) -> AsyncIterator[RunningService]:
    async with support.served_service(broker, databases, form_min_fill_seconds=0.5) as svc:
        yield svc


def shoot(driver: webdriver.Chrome, name: str) -> None:
    folder = os.environ.get("CONSENT_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / f"{name}.png"))


def heading(driver: webdriver.Chrome) -> str:
    return str(driver.find_element(By.TAG_NAME, "h1").text)


def fill_and_submit_form(driver: webdriver.Chrome, url: str) -> str:
    driver.get(url)
    shoot(driver, "form")
    assert not any(
        b.is_selected() for b in driver.find_elements(By.CSS_SELECTOR, "input[type=checkbox]")
    )
    driver.find_element(By.ID, "first_name").send_keys("Camille")
    driver.find_element(By.ID, "email").send_keys("camille.browser@example.org")
    driver.find_element(By.CSS_SELECTOR, "input[value='email:newsletter']").click()
    # A person takes a moment; the form refuses robots faster than its minimum fill time.
    time.sleep(0.6)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, 15).until(lambda d: heading(d) == "Merci")
    shoot(driver, "form_done")
    return str(driver.find_element(By.TAG_NAME, "main").text)


def untick_and_save(driver: webdriver.Chrome, url: str, value: str) -> str:
    driver.get(url)
    shoot(driver, "preferences")
    box = driver.find_element(By.CSS_SELECTOR, f"input[value='{value}']")
    assert box.is_selected()
    box.click()
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, 15).until(
        lambda d: "enregistrés" in d.find_element(By.TAG_NAME, "main").text
    )
    shoot(driver, "preferences_done")
    return str(driver.find_element(By.TAG_NAME, "main").text)


def confirm_unsubscribe(driver: webdriver.Chrome, url: str) -> str:
    driver.get(url)
    shoot(driver, "unsubscribe")
    assert driver.find_element(By.ID, "scope-campaign").is_selected()
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, 15).until(
        lambda d: "désinscrit" in d.find_element(By.TAG_NAME, "main").text
    )
    shoot(driver, "unsubscribe_done")
    return str(driver.find_element(By.TAG_NAME, "main").text)


class TestBrowser:
    async def test_a_person_ticks_one_channel_on_the_form_and_the_ledger_has_it(
        self, served: RunningService, browser: webdriver.Chrome, tokens: Tokens
    ) -> None:
        campaign = uuid.uuid4()
        await support.purpose(served, tokens, campaign)
        form_id = await support.published_form(served, tokens, campaign)

        text = await asyncio.to_thread(
            fill_and_submit_form, browser, f"{served.settings.public_base_url}/f/{form_id}"
        )

        assert "Vos choix ont été enregistrés." in text
        entries = await served.client.get(
            f"/v1/campaigns/{campaign}/ledger/entries", headers=manager(tokens, campaign)
        )
        [entry] = entries.json()["entries"]
        assert (entry["channel"], entry["purpose"], entry["state"]) == (
            "email",
            "newsletter",
            "granted",
        )
        assert entry["method"] == "web_form"
        assert entry["form_version"] == 1
        assert "Chrome" in entry["user_agent"]

    async def test_a_person_withdraws_on_the_preference_page(
        self, served: RunningService, browser: webdriver.Chrome, tokens: Tokens
    ) -> None:
        campaign = uuid.uuid4()
        await support.purpose(served, tokens, campaign)
        await support.published_form(served, tokens, campaign)
        contact = await support.known_contact(served, campaign, email="pref@example.org")
        await support.grant(served, tokens, campaign, contact, channel="email")
        await support.grant(served, tokens, campaign, contact, channel="sms")
        path = await preference_path(served, tokens, campaign, contact)

        text = await asyncio.to_thread(
            untick_and_save, browser, f"{served.settings.public_base_url}{path}", "sms:newsletter"
        )

        assert "Vos choix ont été enregistrés et appliqués." in text
        assert await states(served, tokens, campaign, contact) == {
            "email:newsletter": "granted",
            "sms:newsletter": "withdrawn",
        }

    async def test_a_person_unsubscribes_from_the_link_in_a_message(
        self, served: RunningService, browser: webdriver.Chrome, tokens: Tokens
    ) -> None:
        campaign = uuid.uuid4()
        await support.purpose(served, tokens, campaign)
        contact = await support.known_contact(served, campaign, email="unsub@example.org")
        await support.grant(served, tokens, campaign, contact, channel="email")
        path = await unsubscribe_path(served, tokens, campaign, contact)

        text = await asyncio.to_thread(
            confirm_unsubscribe, browser, f"{served.settings.public_base_url}{path}"
        )

        assert "Vous êtes désinscrit(e)." in text
        assert await states(served, tokens, campaign, contact) == {"email:newsletter": "withdrawn"}
