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

"""Sphinx directives that generate reference pages from the code.

``.. qinling-resources::`` documents every resource type that
``heat_qinling.resources.resource_mapping()`` registers, from the class
docstring and the properties and attributes schemas, so the reference cannot
disagree with the code and a new type appears without editing the docs.

``.. qinling-templates::`` lists the HOT templates under ``templates/`` with
their description, parameters and outputs.
"""
import glob
import inspect
import os
import re

from docutils.parsers import rst
from sphinx.util import parsing
import yaml

from heat.engine import attributes
from heat.engine import constraints
from heat.engine import properties
from heat.engine import support

from heat_qinling import resources

_RST_SPECIAL = re.compile(r'([\\*`|_\[\]])')


def _text(value):
    """Plain text (a schema description) made safe inside reStructuredText."""
    return _RST_SPECIAL.sub(r'\\\1', ' '.join(str(value).split()))


def _literal(value):
    if isinstance(value, str):
        return '``%s``' % (value or "''")
    return '``%s``' % yaml.safe_dump(value, default_flow_style=True).strip(
        ).replace('\n...', '')


def _status(support_status):
    """'Available since heat-qinling 1.0.0', 'Deprecated since ...', or None.

    The versions are this package's releases, not Heat's.
    """
    status = support_status.to_dict()
    if status['status'] == support.SUPPORTED and not status['version']:
        return None
    text = ('Available' if status['status'] == support.SUPPORTED
            else status['status'].capitalize())
    if status['version']:
        text += ' since heat-qinling %s' % status['version']
    if status['message']:
        text += ': %s' % status['message']
    return _text(text)


def _update(schema):
    if schema.update_allowed:
        return 'Can be updated in place.'
    if schema.immutable:
        return 'Cannot be updated: an update that changes it fails.'
    return 'Changing it replaces the resource.'


def _constraint(constraint):
    if isinstance(constraint, constraints.CustomConstraint):
        return 'Checked by the ``%s`` custom constraint.' % constraint.name
    # A constraint with its own description gives only that; state the
    # bound too.
    text = str(constraint)
    if isinstance(constraint, constraints.Range) and constraint.description:
        bounds = []
        if constraint.min is not None:
            bounds.append('min %s' % constraint.min)
        if constraint.max is not None:
            bounds.append('max %s' % constraint.max)
        text = '%s (%s)' % (constraint.description, ', '.join(bounds))
    return _text(text)


def _inherited_from_heat(cls, name, schema):
    """Whether the class has this schema from one of Heat's classes.

    Its support status then names a release of Heat, not of this package,
    and the property is available since the type is.
    """
    for base in cls.__mro__[1:]:
        if not base.__module__.startswith('heat.'):
            continue
        for schemata in (getattr(base, 'properties_schema', {}),
                         getattr(base, 'attributes_schema', {})):
            if schemata.get(name) is schema:
                return True
    return False


def _property_lines(name, schema, indent='', nested_in=None, own=True):
    lines = [indent + '``%s``' % name]
    body = indent + '   '
    status = _status(schema.support_status) if own else None
    if status:
        lines.append(body + '*%s*' % status)
        lines.append('')
    facts = []
    if schema.description:
        facts.append(_text(schema.description))
    facts.append('%s, %s.' % (schema.type,
                              'required' if schema.required else 'optional'))
    if nested_in is None:
        # A key of a map or list is updated with the property it is in.
        facts.append(_update(schema))
    if schema.default is not None:
        facts.append('Default: %s.' % _literal(schema.default))
    facts.extend(_constraint(c) for c in schema.constraints)
    for fact in facts:
        lines.append(body + '| ' + fact)
    nested = schema.schema if schema.type in (properties.Schema.MAP,
                                              properties.Schema.LIST) else None
    if nested:
        lines.append('')
        lines.append(body + ('Keys:' if schema.type == properties.Schema.MAP
                             else 'Items:'))
        lines.append('')
        for key, sub in sorted(nested.items()):
            if sub.support_status.status != support.HIDDEN:
                lines.extend(_property_lines(key, sub, body, name, own))
    lines.append('')
    return lines


def _example(schema):
    if schema.type == properties.Schema.MAP and schema.schema:
        return '{%s}' % ', '.join(
            '%s: %s' % (key, _example(sub))
            for key, sub in sorted(schema.schema.items()))
    if schema.type == properties.Schema.LIST and schema.schema:
        return '[%s, ...]' % _example(schema.schema['*'])
    return '<%s>' % schema.type.lower()


def _syntax(type_name, props):
    lines = ['resources:', '  the_resource:', '    type: %s' % type_name]
    if props:
        lines.append('    properties:')
        # Required properties first.
        for name in sorted(props, key=lambda n: (not props[n].required, n)):
            lines.append('      %s: %s' % (name, _example(props[name])))
    return lines


def resource_lines(type_name, cls):
    """reStructuredText documenting one resource type."""
    anchor = 'resource-' + re.sub(r'[^a-z0-9]+', '-', type_name.lower())
    lines = ['.. _%s:' % anchor, '', type_name, '-' * len(type_name), '']
    status = _status(cls.support_status)
    if status:
        lines += ['*%s*' % status, '']
    lines += inspect.cleandoc(cls.__doc__ or '').splitlines() + ['']
    props = {name: schema for name, schema in
             properties.schemata(cls.properties_schema).items()
             if schema.support_status.status != support.HIDDEN}
    for title, required in (('Required properties', True),
                            ('Optional properties', False)):
        chosen = sorted(name for name, schema in props.items()
                        if schema.required == required)
        if chosen:
            lines += [title, '~' * len(title), '']
            for name in chosen:
                own = not _inherited_from_heat(
                    cls, name, cls.properties_schema.get(name))
                lines += _property_lines(name, props[name], own=own)
    attrs = attributes.schemata(cls.attributes_schema)
    attrs.update(attributes.schemata(cls.base_attributes_schema))
    shown = sorted(name for name, schema in attrs.items()
                   if schema.support_status.status != support.HIDDEN)
    if shown:
        lines += ['Attributes', '~' * len('Attributes'), '']
        for name in shown:
            lines += ['``%s``' % name,
                      '   ' + _text(attrs[name].description or ''), '']
    lines += ['Template syntax', '~' * len('Template syntax'), '',
              '.. code-block:: yaml', '']
    lines += ['   ' + line for line in _syntax(type_name, props)] + ['']
    return lines


def template_lines(path, name):
    """reStructuredText describing one HOT template."""
    with open(path) as f:
        tmpl = yaml.safe_load(f)
    if not isinstance(tmpl, dict) or 'heat_template_version' not in tmpl:
        return []  # an environment file, or not a template
    lines = [name, '-' * len(name), '',
             _text(tmpl.get('description', '')), '']
    params = tmpl.get('parameters') or {}
    if params:
        lines += ['Parameters:', '']
        for param, schema in params.items():
            lines.append('``%s`` (%s%s)' % (
                param, schema.get('type', 'string'),
                ', default %s' % _literal(schema['default'])
                if 'default' in schema else ''))
            lines += ['   ' + _text(schema.get('description', '')), '']
    outputs = tmpl.get('outputs') or {}
    if outputs:
        lines += ['Outputs:', '']
        for output, schema in outputs.items():
            lines += ['``%s``' % output,
                      '   ' + _text(schema.get('description', '')), '']
    return lines


class _GeneratedDirective(rst.Directive):
    has_content = False

    def lines(self):
        raise NotImplementedError

    def run(self):
        return parsing.nested_parse_to_nodes(
            self.state, '\n'.join(self.lines()),
            source='<%s>' % self.name)


class ResourcesDirective(_GeneratedDirective):

    def lines(self):
        lines = []
        for type_name, cls in sorted(resources.resource_mapping().items()):
            if cls.support_status.status != support.HIDDEN:
                lines += resource_lines(type_name, cls)
        return lines


class TemplatesDirective(_GeneratedDirective):

    def lines(self):
        env = self.state.document.settings.env
        root = os.path.join(env.srcdir, '..', '..', 'templates')
        lines = []
        for path in sorted(glob.glob(os.path.join(root, '**', '*.yaml'),
                                     recursive=True)):
            env.note_dependency(path)
            lines += template_lines(path, os.path.relpath(path, root))
        return lines


def setup(app):
    app.add_directive('qinling-resources', ResourcesDirective)
    app.add_directive('qinling-templates', TemplatesDirective)
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
