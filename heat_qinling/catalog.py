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

"""Install the trigger catalog for a whole cloud: heat-qinling-install-catalog.

The package installs the templates under ``<prefix>/share/heat-qinling/
templates``. Heat merges every file of ``[DEFAULT] environment_dir`` into each
stack's environment, and such global entries may name ``file://`` templates,
as Heat's own ``default.yaml`` maps ``AWS::CloudWatch::Alarm`` to a file of
``template_dir``. This copies ``templates/triggers/*.yaml`` to
``<template_dir>/qinling/`` and writes ``<environment_dir>/qinling-triggers
.yaml``, which maps each ``Qinling::Trigger::*`` type of
``triggers/environment.yaml`` to its copy. heat-engine reads both when it
starts: run this on every heat-engine host (or in its image), then restart
heat-engine.
"""
import argparse
import importlib.metadata
import os
import shutil
import sys

import yaml

DISTRIBUTION = 'heat-qinling'
DATA_DIR = os.path.join('share', 'heat-qinling', 'templates')
TRIGGERS = 'triggers'
SUBDIR = 'qinling'
ENVIRONMENT_FILE = 'qinling-triggers.yaml'
# Heat's defaults for [DEFAULT] template_dir and environment_dir.
TEMPLATE_DIR = '/etc/heat/templates'
ENVIRONMENT_DIR = '/etc/heat/environment.d'


class CatalogError(Exception):
    """The catalog's templates cannot be found or read."""


def installed_templates():
    """The templates directory this package installed, from its RECORD.

    Found through the installed files rather than ``sys.prefix``: pip puts
    data files under the scheme's prefix, which is ``/usr/local`` for a
    system-wide install on Debian and Ubuntu, ``sys.prefix`` in a venv.
    """
    try:
        files = importlib.metadata.distribution(DISTRIBUTION).files or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    marker = os.path.join(DATA_DIR, TRIGGERS, 'environment.yaml')
    for path in files:
        if str(path).replace('\\', '/').endswith(marker.replace(os.sep, '/')):
            found = os.path.abspath(str(path.locate()))
            return os.path.dirname(os.path.dirname(found))
    raise CatalogError(
        'The templates of %s are not installed (an editable install, pip '
        'install -e, does not install data files): give the templates '
        'directory of a source checkout with --source.' % DISTRIBUTION)


def read_registry(triggers_dir):
    """The ``Qinling::Trigger::*`` types and their template file names."""
    path = os.path.join(triggers_dir, 'environment.yaml')
    try:
        with open(path) as f:
            registry = yaml.safe_load(f)['resource_registry']
    except (OSError, KeyError, TypeError, yaml.YAMLError) as exc:
        raise CatalogError('Cannot read the catalog %s: %s' % (path, exc))
    return dict(sorted(registry.items()))


def install(source, template_dir, environment_dir):
    """Copy the trigger templates and write the global environment file.

    Returns ``(environment file, {type: file URL})``. The ``qinling``
    subdirectory of ``template_dir`` is replaced whole, so no template of an
    older catalog survives.
    """
    triggers = os.path.join(source, TRIGGERS)
    registry = read_registry(triggers)
    target = os.path.join(os.path.abspath(template_dir), SUBDIR)
    shutil.rmtree(target, ignore_errors=True)
    os.makedirs(target, mode=0o755)
    urls = {}
    for type_name, name in registry.items():
        copy = os.path.join(target, name)
        shutil.copyfile(os.path.join(triggers, name), copy)
        os.chmod(copy, 0o644)
        urls[type_name] = 'file://' + copy
    os.makedirs(environment_dir, mode=0o755, exist_ok=True)
    env_file = os.path.join(os.path.abspath(environment_dir),
                            ENVIRONMENT_FILE)
    text = ('# Written by heat-qinling-install-catalog from %s\n'
            % os.path.join(triggers, 'environment.yaml'))
    text += yaml.safe_dump({'resource_registry': urls},
                           default_flow_style=False)
    if os.path.exists(env_file):
        with open(env_file) as f:
            if f.read() == text:
                return env_file, urls
    with open(env_file + '.tmp', 'w') as f:
        f.write(text)
    os.chmod(env_file + '.tmp', 0o644)
    os.replace(env_file + '.tmp', env_file)
    return env_file, urls


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='heat-qinling-install-catalog',
        description='Register the Qinling::Trigger::* templates for every '
                    'stack of this heat-engine host. Restart heat-engine '
                    'afterwards.')
    parser.add_argument(
        '--template-dir', default=TEMPLATE_DIR,
        help="heat.conf's [DEFAULT] template_dir (default: %(default)s); "
             "the templates go to its qinling/ subdirectory")
    parser.add_argument(
        '--environment-dir', default=ENVIRONMENT_DIR,
        help="heat.conf's [DEFAULT] environment_dir (default: %(default)s)")
    parser.add_argument(
        '--source',
        help='the templates directory to install from (default: the one '
             'this package installed)')
    args = parser.parse_args(argv)
    try:
        source = args.source or installed_templates()
        env_file, urls = install(source, args.template_dir,
                                 args.environment_dir)
    except (CatalogError, OSError) as exc:
        sys.stderr.write('heat-qinling-install-catalog: %s\n' % exc)
        return 1
    print('Wrote %s:' % env_file)
    for type_name, url in urls.items():
        print('  %s: %s' % (type_name, url))
    print('Restart heat-engine to load it.')
    return 0


if __name__ == '__main__':
    sys.exit(main())
