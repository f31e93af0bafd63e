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

"""What the documentation names exists in the code.

The README, ``doc/source`` and the release notes are parsed, not listed here:
every option the configuration page renders is read by the plugin; every
``OS::Qinling::*`` and ``Qinling::Trigger::*`` type they name is registered;
every custom constraint they name is registered and install.rst names them
all; every property key of an ``OS::Qinling::*`` resource in their YAML
examples exists; every ``identifier`` in a paragraph that names an
``OS::Qinling::*`` type is a property, attribute or key of one of the
plugin's types or of another type that paragraph names, a HOT keyword, a
heat.conf option or a parameter or output of a shipped template; and every
``SupportStatus`` names a release of this package.
"""
import configparser
import glob
import importlib.metadata
import os
import re

from oslo_config import cfg
from oslo_config import fixture as config_fixture
import yaml

from heat.common import exception
from heat.engine import constraints
from heat.engine.hot import template as hot_template
from heat.engine import properties
from heat.engine import resources
from heat.engine import support

from heat_qinling import client as qinling_plugin
from heat_qinling import resources as qinling_resources
from tests.unit import base

TYPE_RE = re.compile(r'\bOS::[A-Z][A-Za-z]*::[A-Z][A-Za-z]*\b')
QINLING_TYPE_RE = re.compile(r'\bOS::Qinling::([A-Za-z]+)\b')
TRIGGER_TYPE_RE = re.compile(r'\bQinling::Trigger::([A-Za-z]+)\b')
IDENTIFIER_RE = re.compile(r'``([a-z][a-z0-9]*(?:_[a-z0-9]+)*)``')
CONSTRAINT_RE = re.compile(r'``(qinling\.[a-z_]+)``')
SHOW_OPTIONS_RE = re.compile(r'^\.\. show-options::\s*(\S+)', re.M)
VERSION_RE = re.compile(r'^\d+\.\d+\.\d+$')


def _doc_files():
    paths = [os.path.join(base.REPO, 'README.rst')]
    paths += sorted(glob.glob(os.path.join(base.REPO, 'doc', 'source',
                                           '*.rst')))
    paths += sorted(glob.glob(os.path.join(base.REPO, 'releasenotes',
                                           'notes', '*.yaml')))
    return paths


def _paragraphs():
    """(file name, paragraph) of every doc; a release note per item."""
    for path in _doc_files():
        with open(path) as f:
            text = f.read()
        name = os.path.relpath(path, base.REPO)
        if path.endswith('.yaml'):
            for section in (yaml.safe_load(text) or {}).values():
                for item in ([section] if isinstance(section, str)
                             else section):
                    yield name, item
        else:
            for paragraph in re.split(r'\n\s*\n', text):
                yield name, paragraph


def _literal_blocks(text):
    """The bodies of ``::`` and ``code-block`` blocks of an rst text."""
    lines = text.splitlines()
    blocks = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if ((line.rstrip().endswith('::') and
             not line.lstrip().startswith('.. ')) or
                line.lstrip().startswith('.. code-block::')):
            indent = len(line) - len(line.lstrip())
            body = []
            i += 1
            while i < len(lines) and (
                    not lines[i].strip() or
                    len(lines[i]) - len(lines[i].lstrip()) > indent):
                body.append(lines[i])
                i += 1
            if any(b.strip() for b in body):
                blocks.append(_dedent(body))
            continue
        i += 1
    return blocks


def _dedent(lines):
    width = min(len(b) - len(b.lstrip()) for b in lines if b.strip())
    return '\n'.join(b[width:] for b in lines)


def _schema_names(cls):
    """The names a resource class defines.

    Every property, nested key and attribute name, and the values its
    properties' AllowedValues constraints name.
    """
    names = set()

    def walk(schemata):
        for name, schema in schemata.items():
            names.add(name)
            for constraint in schema.constraints:
                if isinstance(constraint, constraints.AllowedValues):
                    names.update(str(v) for v in constraint.allowed)
            if schema.schema:
                walk(schema.schema)

    walk(properties.schemata(cls.properties_schema))
    names.update(cls.attributes_schema)
    names.update(cls.base_attributes_schema)
    return names


def _hot_keywords():
    names = set()
    first = hot_template.HOTemplate20130523
    for cls in vars(hot_template).values():
        if isinstance(cls, type) and issubclass(cls, first):
            names.update(cls.functions)
            names.update(cls._RESOURCE_KEYS)
            names.update(cls.SECTIONS)
    return names


def _template_names():
    names = set()
    for path in glob.glob(os.path.join(base.TEMPLATES, '**', '*.yaml'),
                          recursive=True):
        with open(path) as f:
            tmpl = yaml.safe_load(f) or {}
        names.update(tmpl.get('parameters') or {})
        names.update(tmpl.get('outputs') or {})
    return names


def _service_types():
    """The catalog service types of Heat's client plugins and ours."""
    types = set()
    for ep in importlib.metadata.entry_points(group='heat.clients'):
        try:
            plugin = ep.load()
        except ImportError:  # a client library Heat does not require
            continue
        types.update(getattr(plugin, 'service_types', None) or ())
    return types


def _inherited_from_heat(cls, name, schema):
    """Whether a resource class has this schema from a class of Heat's.

    Its support status then gives Heat's release, not this package's.
    """
    for heat_class in cls.__mro__[1:]:
        if not heat_class.__module__.startswith('heat.'):
            continue
        for schemata in (getattr(heat_class, 'properties_schema', {}),
                         getattr(heat_class, 'attributes_schema', {})):
            if schemata.get(name) is schema:
                return True
    return False


def _heat_options():
    names = set()
    for name, opt in cfg.CONF.items():
        names.add(name)
        if isinstance(opt, cfg.ConfigOpts.GroupAttr):
            names.update(n for n, _value in opt.items())
    return names


def _trigger_types():
    path = os.path.join(base.TEMPLATES, 'triggers', 'environment.yaml')
    with open(path) as f:
        return set(yaml.safe_load(f)['resource_registry'])


class DocsNameWhatExistsTest(base.QinlingStackTestCase):

    def setUp(self):
        super().setUp()
        self.mapping = qinling_resources.resource_mapping()

    def test_types_exist(self):
        triggers = _trigger_types()
        wrong = set()
        for name, paragraph in _paragraphs():
            for type_name in QINLING_TYPE_RE.findall(paragraph):
                if 'OS::Qinling::' + type_name not in self.mapping:
                    wrong.add((name, 'OS::Qinling::' + type_name))
            for type_name in TRIGGER_TYPE_RE.findall(paragraph):
                if 'Qinling::Trigger::' + type_name not in triggers:
                    wrong.add((name, 'Qinling::Trigger::' + type_name))
        self.assertEqual(set(), wrong)

    def test_constraints_exist_and_install_names_them_all(self):
        registered = {ep.name for ep in importlib.metadata.entry_points(
            group='heat.constraints') if ep.name.startswith('qinling.')}
        self.assertEqual({'qinling.runtime', 'qinling.function',
                          'qinling.alias'}, registered)
        wrong = set()
        for name, paragraph in _paragraphs():
            if 'constraint' not in paragraph:
                continue
            for constraint in CONSTRAINT_RE.findall(paragraph):
                if constraint not in registered:
                    wrong.add((name, constraint))
        self.assertEqual(set(), wrong)
        with open(os.path.join(base.REPO, 'doc', 'source',
                               'install.rst')) as f:
            install = f.read()
        self.assertEqual(registered, registered & set(
            CONSTRAINT_RE.findall(install)))

    def test_yaml_examples_use_existing_properties(self):
        wrong = set()
        checked = 0
        for path in _doc_files():
            if not path.endswith('.rst'):
                continue
            with open(path) as f:
                blocks = _literal_blocks(f.read())
            for block in blocks:
                if 'OS::Qinling::' not in block:
                    continue
                try:
                    doc = yaml.safe_load(block)
                except yaml.YAMLError:
                    continue
                for rsrc in _resources_in(doc):
                    cls = self.mapping.get(rsrc.get('type'))
                    if cls is None:
                        continue
                    checked += 1
                    props = properties.schemata(cls.properties_schema)
                    for key in rsrc.get('properties') or {}:
                        if key not in props:
                            wrong.add((os.path.basename(path), rsrc['type'],
                                       key))
        self.assertEqual(set(), wrong)
        self.assertGreater(checked, 0)

    def test_identifiers_next_to_types_exist(self):
        known = (_hot_keywords() | _template_names() | _heat_options() |
                 _service_types())
        for cls in self.mapping.values():
            known |= _schema_names(cls)
        env = resources.global_env()
        wrong = set()
        for name, paragraph in _paragraphs():
            if not QINLING_TYPE_RE.search(paragraph):
                continue
            allowed = set(known)
            for type_name in set(TYPE_RE.findall(paragraph)):
                try:
                    cls = env.get_class(type_name)
                except exception.EntityNotFound:
                    wrong.add((name, type_name))
                    continue
                allowed |= _schema_names(cls)
            for identifier in IDENTIFIER_RE.findall(paragraph):
                if identifier not in allowed:
                    wrong.add((name, identifier))
        self.assertEqual(set(), wrong)

    def test_support_status_names_a_release_of_this_package(self):
        parser = configparser.ConfigParser()
        parser.read(os.path.join(base.REPO, 'setup.cfg'))
        release = parser['metadata']['version']
        self.assertRegex(release, VERSION_RE)

        def numbers(version):
            return tuple(int(n) for n in version.split('.'))

        statuses = []
        for type_name, cls in self.mapping.items():
            statuses.append((type_name, cls.support_status))
            schemata = dict(cls.properties_schema)
            schemata.update(cls.attributes_schema)
            for key, schema in schemata.items():
                if _inherited_from_heat(cls, key, schema):
                    continue  # Heat's own property, Heat's release
                status = getattr(schema, 'support_status', None)
                if status is not None:
                    statuses.append(('%s.%s' % (type_name, key), status))
        wrong = []
        for where, status in statuses:
            version = status.version
            if version is None:
                if where in self.mapping:  # every type says when it came
                    wrong.append((where, None))
                continue
            if not (VERSION_RE.match(version) and
                    (1, 0, 0) <= numbers(version) <= numbers(release)):
                wrong.append((where, version))
        self.assertEqual([], wrong)
        self.assertIn(support.SUPPORTED, {s.status for _w, s in statuses})


def _resources_in(doc):
    if isinstance(doc, dict):
        if isinstance(doc.get('type'), str):
            yield doc
        for value in doc.values():
            yield from _resources_in(value)
    elif isinstance(doc, list):
        for value in doc:
            yield from _resources_in(value)


class RenderedOptionsAreReadTest(base.QinlingStackTestCase):
    """Every option of configuration.rst's show-options is read."""

    def rendered_options(self):
        with open(os.path.join(base.REPO, 'doc', 'source',
                               'configuration.rst')) as f:
            namespaces = SHOW_OPTIONS_RE.findall(f.read())
        self.assertEqual(['heat_qinling'], namespaces)
        options = set()
        for ep in importlib.metadata.entry_points(group='oslo.config.opts'):
            if ep.name in namespaces:
                for group, opts in ep.load()():
                    options.update((group, opt.dest) for opt in opts)
        return options

    def test_every_rendered_option_is_read_when_the_client_is_made(self):
        options = self.rendered_options()
        self.assertIn((qinling_plugin.CONFIG_GROUP, 'endpoint_type'),
                      options)
        reads = set()
        real_getattr = cfg.ConfigOpts.GroupAttr.__getattr__

        def recording_getattr(group_attr, name):
            reads.add((group_attr._group.name, name))
            return real_getattr(group_attr, name)

        self.patchobject(cfg.ConfigOpts.GroupAttr, '__getattr__',
                         new=recording_getattr)
        self.useFixture(config_fixture.Config()).config(
            group=qinling_plugin.CONFIG_GROUP, endpoint_type='internal')
        client = self.ctx.clients.client(qinling_plugin.CLIENT_NAME)
        self.assertEqual(set(), options - reads)
        # and the value read is the one the client uses
        self.assertEqual('internal', client.http_client.interface)
