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

"""Debian packages: ``apt-get install`` what is missing, in one transaction
(``apt-get update`` once, then one ``apt-get install`` of every package the
cloud's services declare)."""
import os
import threading

from localcloud.util import steps

_APT_LOCK = threading.Lock()


def ensure_apt(packages, probes):
    """apt-get install ``packages`` unless every path in ``probes`` exists
    already (the browser tests' Chromium)."""
    with _APT_LOCK:
        if all(os.path.exists(p) for p in probes):
            return
        _apt_install(packages)


def install(packages):
    """One apt transaction for ``packages``: the lists updated, then one
    ``apt-get install`` of them all."""
    with _APT_LOCK:
        _apt_install(sorted(packages))


def _apt_install(packages):
    with steps.step('apt-get install %s' % ' '.join(packages)):
        env = {'DEBIAN_FRONTEND': 'noninteractive'}
        # another install may be running
        wait_for_lock = ['-o', 'DPkg::Lock::Timeout=300']
        steps.run(
            ['apt-get', 'update', '-q'] + wait_for_lock,
            'apt-get update',
            env=env,
        )
        steps.run(
            ['apt-get', 'install', '-y', '-q', '--no-install-recommends']
            + wait_for_lock
            + packages,
            'apt-get install',
            env=env,
        )
