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

"""The zip that a ``files`` map becomes, and the checks on its paths."""
import io
import zipfile

import testscenarios
import testtools

from heat_qinling import package


class BuildZipTest(testtools.TestCase):

    FILES = {'hello_world.py': 'def main(**kw):\n    return "hi"\n',
             'lib/util.py': 'X = "\u00e9"\n'}

    def test_same_files_give_same_bytes_whatever_the_order(self):
        reordered = dict(reversed(list(self.FILES.items())))
        self.assertEqual(package.build_zip(self.FILES),
                         package.build_zip(reordered))

    def test_content_change_changes_md5(self):
        changed = dict(self.FILES, **{'hello_world.py': 'def main(): pass'})
        self.assertNotEqual(
            package.md5sum(package.build_zip(self.FILES)),
            package.md5sum(package.build_zip(changed)))

    def test_zip_holds_the_files_as_utf8_and_reads_back(self):
        data = package.build_zip(self.FILES)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            self.assertEqual(['hello_world.py', 'lib/util.py'],
                             archive.namelist())
            self.assertIsNone(archive.testzip())
        self.assertEqual(self.FILES, package.read_zip(data))

    def test_binary_package_cannot_be_read_as_files(self):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, 'w') as archive:
            archive.writestr('blob.bin', b'\xff\xfe\x00')
        self.assertIsNone(package.read_zip(buf.getvalue()))


class GoodPathTest(testscenarios.WithScenarios, testtools.TestCase):

    scenarios = [(path, dict(path=path))
                 for path in ('main.py', 'pkg/__init__.py', 'a/b/c.txt')]

    def test_accepted(self):
        package.validate_path(self.path)


class BadPathTest(testscenarios.WithScenarios, testtools.TestCase):

    scenarios = [
        ('absolute', dict(path='/etc/passwd', why='absolute')),
        ('dotdot', dict(path='../up.py', why='".."')),
        ('dotdot_inside', dict(path='a/../../b.py', why='".."')),
        ('empty_component', dict(path='a//b.py', why='empty or "."')),
        ('dot', dict(path='./a.py', why='empty or "."')),
        ('backslash', dict(path='a\\b.py', why='backslash')),
        ('empty', dict(path='', why='empty')),
    ]

    def test_rejected_saying_why(self):
        ex = self.assertRaises(package.InvalidPackage,
                               package.validate_path, self.path)
        self.assertIn(self.why, str(ex))


class EntryFormTest(testscenarios.WithScenarios, testtools.TestCase):

    scenarios = (
        [('good_%d' % i, dict(entry=entry, valid=True))
         for i, entry in enumerate(
             ('main.main', 'hello_world.main', 'pkg.mod.handler'))] +
        [('bad_%d' % i, dict(entry=entry, valid=False))
         for i, entry in enumerate(
             ('main', 'main.', '.main', 'a b.c', 'mod.fun()', '1mod.main',
              ''))])

    def test_entry_form(self):
        if self.valid:
            package.validate_entry(self.entry)
        else:
            self.assertRaises(package.InvalidPackage,
                              package.validate_entry, self.entry)


class ValidateTest(testtools.TestCase):

    def test_empty_files(self):
        self.assertRaises(package.InvalidPackage, package.validate_files, {})

    def test_entry_module_must_be_in_files(self):
        package.validate_entry_in_files('hello.main', {'hello.py': ''})
        package.validate_entry_in_files('pkg.handler',
                                        {'pkg/__init__.py': ''})
        package.validate_entry_in_files('pkg.mod.f', {'pkg/mod.py': ''})
        ex = self.assertRaises(package.InvalidPackage,
                               package.validate_entry_in_files,
                               'main.main', {'hello.py': ''})
        self.assertIn('main.py', str(ex))
        self.assertIn('hello.py', str(ex))
