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

"""Launcher of the real qinling-api 5.0.0 (``python -m
localcloud.qinling_local.api --config-file qinling.conf``), as its
``qinling-api`` command does it, plus the Python 3.11 shim, the fixes of
``fixes.apply_api_fixes`` (trust tokens reused, workers started early) and
the benchmark's timing hooks (``instrumentation``: silent until the benchmark
asks).

One API process (oslo.service, eventlet WSGI server); with ``[api]
enable_job_handler`` it also runs the 3-second job (cron) handler.
"""
import eventlet

eventlet.monkey_patch()

import os  # noqa: E402
import sys  # noqa: E402

from localcloud.qinling_local import common  # noqa: E402
from localcloud.qinling_local import fixes  # noqa: E402
from localcloud.qinling_local import instrumentation  # noqa: E402

common.apply_shims()
fixes.apply_api_fixes()

from oslo_service import service  # noqa: E402

from qinling.api import service as api_service  # noqa: E402
from qinling import rpc  # noqa: E402


def main(argv=None):
    conf = common.parse_config(sys.argv[1:] if argv is None else argv)
    fixes.log_api_requests()
    instrumentation.install_api_hooks(
        os.path.dirname(os.path.abspath(conf.config_file[0])))
    rpc.get_transport()
    api_server = api_service.WSGIService()
    launcher = service.launch(
        conf, api_server, workers=1, restart_method='mutate'
    )
    launcher.wait()


if __name__ == '__main__':
    main()
