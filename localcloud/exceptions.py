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

"""The errors of the local cloud, one class each. Library code raises them;
only the command line (``localcloud.cli``) turns them into messages and exit
codes.

Standard library only: the Qinling runtime (in Qinling's venv) may import it.
"""


class LocalCloudError(Exception):
    """Base class: something the user can read and act on."""


class CommandFailed(LocalCloudError, RuntimeError):
    """A command (a service tool, pip, apt-get, an OpenStack CLI) exited
    non-zero; the message has its command line and the tail of its
    output."""


class SupervisorError(LocalCloudError):
    """A process could not be started, or did not become ready in time."""


class ServiceError(LocalCloudError, RuntimeError):
    """A service is not where it must be (a missing file, a broken
    install, a failed bootstrap)."""


class ConfigurationError(LocalCloudError, ValueError):
    """The cloud's services declare facts that do not fit together."""


class UsageError(LocalCloudError):
    """A command was given arguments it cannot use."""


class NotAStateDir(LocalCloudError):
    """``destroy`` was pointed at a directory that is not a state dir."""


class NoLog(LocalCloudError):
    """``logs`` was asked for a service or process that has no log."""


class DemoFailed(LocalCloudError):
    """A step of the demo failed; the message names it."""
