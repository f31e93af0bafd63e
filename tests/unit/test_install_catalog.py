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

"""heat-qinling-install-catalog: the trigger catalog for a whole cloud.

What heat-engine then loads from the written environment is checked here
with Heat's own environment code, and by the install test
(``tests/install/check.py``) from a real wheel install.
"""
import contextlib
import importlib.metadata
import io
import os
import pathlib
import stat

import fixtures
import testtools
import yaml

from heat.engine import environment

from heat_qinling import catalog
from tests.unit import base


def _registry():
    with open(os.path.join(base.TEMPLATES, 'triggers',
                           'environment.yaml')) as f:
        return yaml.safe_load(f)['resource_registry']


class InstallCatalogTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        tmp = self.useFixture(fixtures.TempDir()).path
        self.template_dir = os.path.join(tmp, 'templates')
        self.environment_dir = os.path.join(tmp, 'environment.d')

    def main(self, *args):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = catalog.main(['--template-dir', self.template_dir,
                               '--environment-dir', self.environment_dir]
                              + list(args))
        return rc, out.getvalue(), err.getvalue()

    def written_registry(self):
        path = os.path.join(self.environment_dir, catalog.ENVIRONMENT_FILE)
        with open(path) as f:
            return yaml.safe_load(f)['resource_registry']

    def test_every_type_maps_to_a_copy_of_its_template(self):
        rc, out, err = self.main('--source', base.TEMPLATES)
        self.assertEqual((0, ''), (rc, err))
        written = self.written_registry()
        self.assertEqual(set(_registry()), set(written))
        for type_name, name in _registry().items():
            url = written[type_name]
            copy = os.path.join(self.template_dir, 'qinling', name)
            self.assertEqual('file://' + copy, url)
            with open(copy) as f, open(os.path.join(
                    base.TEMPLATES, 'triggers', name)) as g:
                self.assertEqual(g.read(), f.read())
            self.assertEqual(0o644, stat.S_IMODE(os.stat(copy).st_mode))
            self.assertIn('%s: %s' % (type_name, url), out)
        self.assertIn('Restart heat-engine', out)

    def test_heat_loads_the_written_environment(self):
        self.assertEqual(0, self.main('--source', base.TEMPLATES)[0])
        env = environment.Environment({}, user_env=False)
        environment.read_global_environment(env, self.environment_dir)
        for type_name in _registry():
            info = env.registry.get_resource_info(type_name)
            self.assertTrue(info.value.startswith('file://' +
                                                  self.template_dir))

    def test_a_second_run_leaves_no_stale_template(self):
        self.assertEqual(0, self.main('--source', base.TEMPLATES)[0])
        stale = os.path.join(self.template_dir, 'qinling', 'removed.yaml')
        with open(stale, 'w') as f:
            f.write('old')
        self.assertEqual(0, self.main('--source', base.TEMPLATES)[0])
        self.assertFalse(os.path.exists(stale))
        self.assertEqual(set(_registry()), set(self.written_registry()))

    def test_a_bad_source_is_refused_and_nothing_written(self):
        rc, out, err = self.main('--source', self.template_dir + '-missing')
        self.assertEqual(1, rc)
        self.assertIn('Cannot read the catalog', err)
        self.assertFalse(os.path.exists(self.environment_dir))
        self.assertFalse(os.path.exists(self.template_dir))


class InstalledTemplatesTest(testtools.TestCase):
    """The templates are found through the distribution's RECORD."""

    def distribution(self, record_lines):
        # <prefix>/lib/pythonX.Y/site-packages, as in a venv
        prefix = self.useFixture(fixtures.TempDir()).path
        site = os.path.join(prefix, 'lib', 'python3', 'site-packages')
        info = os.path.join(site, 'heat_qinling-1.0.0.dist-info')
        os.makedirs(info)
        with open(os.path.join(info, 'METADATA'), 'w') as f:
            f.write('Metadata-Version: 2.1\nName: heat-qinling\n'
                    'Version: 1.0.0\n')
        with open(os.path.join(info, 'RECORD'), 'w') as f:
            f.write(''.join('%s,,\n' % line for line in record_lines))
        # Python 3.12 on lists only the recorded files that exist.
        for line in record_lines:
            path = os.path.normpath(os.path.join(site, line))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            open(path, 'w').close()
        self.useFixture(fixtures.MockPatch(
            'importlib.metadata.distribution',
            lambda name: importlib.metadata.PathDistribution(
                pathlib.Path(info))))
        return site

    def test_found_under_the_install_scheme_prefix(self):
        site = self.distribution([
            'heat_qinling/__init__.py',
            '../../../share/heat-qinling/templates/triggers/environment.yaml',
        ])
        expected = os.path.normpath(os.path.join(
            site, '..', '..', '..', 'share', 'heat-qinling', 'templates'))
        self.assertEqual(expected, catalog.installed_templates())

    def test_an_install_without_data_files_says_to_give_the_source(self):
        self.distribution(['heat_qinling/__init__.py'])
        ex = self.assertRaises(catalog.CatalogError,
                               catalog.installed_templates)
        self.assertIn('--source', str(ex))
