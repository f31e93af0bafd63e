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

"""What both launchers need before and while starting Qinling 5.0.0 on Python
3.11."""

import collections
import collections.abc


def apply_shims():
    """Qinling 5.0.0 streams package downloads with ``collections.Iterable``,
    an alias removed in Python 3.10; without it workers cannot fetch function
    code (500)."""
    if not hasattr(collections, 'Iterable'):
        collections.Iterable = collections.abc.Iterable


def parse_config(argv, extra_opts=None):
    """Parse qinling.conf (``--config-file``) into oslo.config's global
    CONF."""
    from oslo_config import cfg
    from oslo_log import log as logging
    from qinling import config

    for register in extra_opts or ():
        register(cfg.CONF)
    config.parse_args(args=list(argv))
    logging.setup(cfg.CONF, 'qinling')
    return cfg.CONF
