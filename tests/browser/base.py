#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.

"""Base class of the browser tests: real Horizon, real headless Chromium,
as a member user (one per test class, in a project of its own), on an
already running local cloud (``tools/localcloud up``).

Each test gets its own browser (a fresh profile) and logs in through the login
form. What the user does goes through the pages; what the user cannot see
(executions, alarms, what is left after a delete) is checked through the APIs,
with the clients of the end-to-end tests. On failure the test saves a
screenshot and the page's text under ``<state>/browser-artifacts/<test>/``
and names that directory in its failure details.
"""
import os
import shutil
import tempfile
import time

from testtools import content

from localcloud.services import horizon
from localcloud import util
from tests.e2e import base as e2e
from tests import runner

CHROMIUM = '/usr/bin/chromium'
CHROMEDRIVER = '/usr/bin/chromedriver'
CHROMIUM_FLAGS = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
    '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync',
    '--disable-dev-shm-usage', '--window-size=1400,1000',
]
PAGE_TIMEOUT = 60
# Stacks is the project dashboard's default panel, served at its root
STACKS = '/project/'
UI_WAIT = 30
# a click in the Stacks table that led nowhere is tried again after this
CLICK_SETTLE = 10
CLICK_TRIES = 3
BROWSER_STARTS = 2


def ensure_browser():
    """Chromium and chromedriver from Debian (once, like RabbitMQ)."""
    util.ensure_apt(['chromium', 'chromium-driver'], [CHROMIUM, CHROMEDRIVER])


def artifacts_dir(cloud):
    return os.path.join(cloud.state_dir, 'browser-artifacts')


class BrowserTestCase(e2e.E2ETestCase):
    """Drives Horizon in headless Chromium as the class's user."""

    # One browser, logged in once, per test class (its scenarios included):
    # starting Chromium and logging in is most of a short test's time.
    _browser = None

    @classmethod
    def tearDownClass(cls):
        browser, cls._browser = cls._browser, None
        if browser:
            driver, profile = browser
            driver.quit()
            shutil.rmtree(profile, ignore_errors=True)
        super().tearDownClass()

    def account_owner(self):
        """The class: its browser logs in once, as the class's user."""
        return '%s.%s' % (type(self).__module__, type(self).__qualname__)

    def setUp(self):
        super().setUp()
        self.horizon_url = horizon.url(self.cloud).rstrip('/')
        # runs before the cleanups, while the browser still shows the page
        self.addOnException(self._save_artifacts)
        cls = type(self)
        if cls._browser is None:
            browser = self._start_browser()
            self.driver = browser[0]
            cls._browser = browser
            try:
                self.login()
            except Exception:
                cls._browser = None
                self.addCleanup(shutil.rmtree, browser[1], True)
                self.addCleanup(browser[0].quit)
                raise
        self.driver = cls._browser[0]

    def _start_browser(self):
        ensure_browser()
        from selenium.common import exceptions
        from selenium import webdriver
        from selenium.webdriver.chrome import service

        profile = tempfile.mkdtemp(prefix='heat-qinling-chromium-')
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in CHROMIUM_FLAGS + ['--user-data-dir=' + profile]:
            options.add_argument(flag)
        for attempt in range(BROWSER_STARTS):
            try:
                driver = webdriver.Chrome(
                    options=options, service=service.Service(CHROMEDRIVER))
                break
            except exceptions.SessionNotCreatedException:
                # Chromium that did not come up in time on a busy machine
                # ("DevToolsActivePort file doesn't exist"): the browser,
                # not Horizon, failed; start it once more
                if attempt == BROWSER_STARTS - 1:
                    shutil.rmtree(profile, ignore_errors=True)
                    raise
        driver.set_page_load_timeout(PAGE_TIMEOUT)
        return driver, profile

    # -- failure artifacts -------------------------------------------------
    def _save_artifacts(self, exc_info):
        where = os.path.join(artifacts_dir(self.cloud),
                             runner.file_name(self.id()))
        os.makedirs(where, exist_ok=True)
        try:
            self.driver.save_screenshot(os.path.join(where, 'screenshot.png'))
            text = 'URL: %s\n\n%s\n' % (
                self.driver.current_url,
                self.driver.find_element('tag name', 'body').text)
        except Exception as exc:  # noqa: BLE001 - the browser may be gone
            text = 'could not read the page: %s\n' % exc
        with open(os.path.join(where, 'page.txt'), 'w') as f:
            f.write(text)
        self.addDetail('browser-artifacts', content.text_content(
            'screenshot and page text saved in %s' % where))

    # -- pages -------------------------------------------------------------
    def open(self, path):
        self.driver.get(self.horizon_url + path)

    def wait(self, condition, what, timeout=UI_WAIT):
        from selenium.webdriver.support import ui
        waiter = ui.WebDriverWait(self.driver, timeout, poll_frequency=0.2)
        return waiter.until(
            condition, 'timed out after %d s waiting for %s' % (timeout, what))

    def find(self, css, timeout=UI_WAIT):
        """The element matching ``css`` once it is visible."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec
        return self.wait(
            ec.visibility_of_element_located((By.CSS_SELECTOR, css)),
            css, timeout)

    def click(self, css, timeout=UI_WAIT, by='css selector'):
        """Click the element ``css`` (or what ``by`` finds) once it can be.

        A click that lands on something else (the backdrop of a modal that
        is still fading in or out, a message shown over the page) or on an
        element the page has just replaced does nothing: it is tried again,
        as a user would, until one lands.
        """
        from selenium.common import exceptions
        from selenium.webdriver.support import expected_conditions as ec
        clickable = ec.element_to_be_clickable((by, css))

        def clicked(driver):
            element = clickable(driver)
            if not element:
                return False
            try:
                element.click()
            except (exceptions.ElementClickInterceptedException,
                    exceptions.StaleElementReferenceException):
                return False
            return element
        return self.wait(clicked, css + ' to be clicked', timeout)

    def click_in_stacks_table(self, css, arrived, what):
        """Click ``css`` in the Stacks table until ``arrived`` holds.

        Horizon refreshes the row of a stack in progress in place, and renders
        the refreshed row with a checkbox cell the rest of the table lacks, so
        the table reflows while other tests' stacks change: a click aimed
        before the reflow lands beside its target and nothing happens. A
        user clicks again; so does this, three times at most.
        """
        from selenium.common import exceptions
        for attempt in range(CLICK_TRIES):
            self.click(css)
            try:
                return self.wait(arrived, what, timeout=CLICK_SETTLE)
            except exceptions.TimeoutException:
                if attempt == CLICK_TRIES - 1:
                    raise

    def page_text(self):
        return self.driver.find_element('tag name', 'body').text

    def wait_for_text(self, text, timeout=UI_WAIT):
        self.wait(lambda d: text in self.page_text(), repr(text), timeout)

    def login(self):
        creds = self.cloud.credentials('demo')
        self.open('/auth/login/')
        self.find('#id_username').send_keys(creds['username'])
        self.find('#id_password').send_keys(creds['password'])
        self.click('#loginBtn')
        # the landing page (/project/) is Orchestration > Stacks
        # (localcloud/services/horizon.py)
        self.find('#stacks__action_launch')

    # -- stacks ------------------------------------------------------------
    def launch_stack(self, template_path, stack_name, parameters):
        """Launch Stack: upload ``template_path``, fill the form, Launch."""
        from selenium.webdriver.support import ui

        self.open(STACKS)
        self.click('#stacks__action_launch')
        # the "Template Source" select is styled and hidden; default: File
        self.find('#id_template_upload').send_keys(template_path)
        self.click('.modal-footer [type=submit]')
        self.find('#id_stack_name').send_keys(stack_name)
        self.find('#id_password').send_keys(
            self.cloud.credentials('demo')['password'])
        for name, value in parameters.items():
            field = self.find('#id___param_%s' % name)
            if field.tag_name == 'select':
                ui.Select(field).select_by_value(value)
            elif field.get_attribute('type') == 'checkbox':
                if field.is_selected() != (value.lower() == 'true'):
                    field.click()
            else:
                field.clear()
                field.send_keys(value)
        self.click('.modal-footer [type=submit]')

    def find_stack(self, stack_name):
        listed = self.heat.stacks.list(filters={'stack_name': stack_name})
        found = [s for s in listed if s.stack_name == stack_name]
        return found[0] if found else None

    def wait_stack_launched(self, stack_name, expected='CREATE_COMPLETE'):
        """The stack the form created, once it settled in ``expected``."""
        from heatclient import exc as heat_exc
        stack = e2e.clients.wait_for(
            lambda: self.find_stack(stack_name), UI_WAIT,
            'stack %s to exist after Launch' % stack_name)

        def cleanup():
            try:
                self.delete_stack(stack.id)
            except heat_exc.HTTPNotFound:
                pass
        self.addCleanup(cleanup)
        return self.wait_stack(stack.id, expected)

    def open_stack(self, stack):
        """The stack's detail page (Overview tab), by its link in the table."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec
        self.open(STACKS)
        detail = '/stack/%s/' % stack.id
        self.click_in_stacks_table(
            'a[href$="%s"]' % detail, ec.url_contains(detail),
            'the page of stack %s' % stack.stack_name)
        # Topology is the first tab; tabs switch by their link, not by URL
        self.click('Overview', by=By.LINK_TEXT)
        self.wait_for_text('Outputs')

    def delete_stack_in_ui(self, stack):
        """Row actions > Delete Stack, confirm; wait until Heat deleted it."""
        from heatclient import exc as heat_exc
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec
        self.open(STACKS)
        row = '#stacks__row__%s' % stack.id
        delete = row + ' [id$="__action_delete"]'
        self.click_in_stacks_table(
            row + ' .dropdown-toggle',
            ec.element_to_be_clickable((By.CSS_SELECTOR, delete)),
            'the Delete Stack action')
        self.click_in_stacks_table(
            delete,
            ec.element_to_be_clickable(
                (By.CSS_SELECTOR, '.modal-footer .btn-danger')),
            'the confirmation dialog')
        self.click('.modal-footer .btn-danger')

        def gone():
            try:
                status = self.heat.stacks.get(stack.id).stack_status
                return status == 'DELETE_COMPLETE'
            except heat_exc.HTTPNotFound:
                return True
        e2e.clients.wait_for(gone, e2e.STACK_TIMEOUT,
                             'stack %s to be deleted' % stack.stack_name,
                             interval=0.5)

    def stack_physical_ids(self, stack):
        """{resource type: [physical ids]} of the stack and nested stacks."""
        found = {}
        for res in self.heat.resources.list(stack.id, nested_depth=5):
            if res.physical_resource_id:
                found.setdefault(res.resource_type, []).append(
                    res.physical_resource_id)
        return found

    def leftovers(self, physical_ids):
        """What of ``physical_ids`` still exists in Qinling or Aodh.

        Versions go with their function, which is counted.
        """
        left = []
        functions = {f.id for f in self.qinling.functions.list()}
        webhooks = {w.id for w in self.qinling.webhooks.list()}
        aliases = {a.name for a in self.qinling.function_aliases.list()}
        jobs = {j.id for j in self.qinling.jobs.list()}
        alarms = {a['alarm_id'] for a in self.aodh.alarm.list()}
        for rtype, existing in (('OS::Qinling::Function', functions),
                                ('OS::Qinling::Webhook', webhooks),
                                ('OS::Qinling::Alias', aliases),
                                ('OS::Qinling::Job', jobs),
                                ('OS::Aodh::EventAlarm', alarms),
                                ('OS::Qinling::EventAlarm', alarms)):
            left += ['%s %s' % (rtype, i) for i in physical_ids.get(rtype, [])
                     if i in existing]
        return left

    @staticmethod
    def elapsed(started):
        return '%.1f s' % (time.monotonic() - started)
