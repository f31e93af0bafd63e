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

"""The errors heat-qinling raises, one class per error.

Each says what Qinling refused or would have done, and what to do instead:
Qinling's own answers ("in use" as a 403, a taken target as a 500 with its
SQL) do not.
"""
from heat.common import exception
from heat.common.i18n import _


# Objects in use --------------------------------------------------------

class FunctionInUse(exception.HeatException):
    msg_fmt = _('Qinling function %(function)s is still in use by '
                '%(holders)s, so it cannot be deleted. Delete or re-point '
                'those first. Qinling said: %(reason)s')


class JobsBlockFunctionUpdate(exception.HeatException):
    msg_fmt = _('Qinling refuses to change the code, entry, cpu or memory '
                'of function %(function)s while job(s) %(jobs)s run it. '
                'Point those jobs at an alias of the function (a job on an '
                'alias does not hold the function), or delete or disable '
                'them first. Qinling said: %(reason)s')


class RuntimeInUse(exception.HeatException):
    msg_fmt = _('Qinling runtime %(runtime)s is still used by %(holders)s, '
                'so it cannot be %(action)s. Move or delete those functions '
                'first. %(detail)s')


class VersionInUse(exception.HeatException):
    msg_fmt = _('Version %(version)s of Qinling function %(function)s is '
                'still in use by %(holders)s, so it cannot be deleted. '
                'Delete or re-point those first. Qinling said: %(reason)s')


class AliasInUse(exception.HeatException):
    msg_fmt = _('Qinling alias %(alias)s is still in use by %(holders)s, '
                'so it is not deleted: those would fail (a job on a deleted '
                'alias also stops the job scheduler of every project). '
                'Delete them, or point them at something else, first.')


# A version that cannot be published or pointed at --------------------------

class VersionError(exception.HeatException):
    """Base: a function version Qinling would refuse or mishandle.

    Raised only as one of its subclasses; the resources catch the base to
    report any of them against their "function_version" property.
    """

    msg_fmt = _('Qinling function %(function)s: this version cannot be '
                'used.')


class VersionMissing(VersionError):
    msg_fmt = _('Qinling function %(function)s has no version %(version)s '
                '(its versions: %(numbers)s). Publish that version first '
                '(OS::Qinling::Version, or "openstack function version '
                'create"), give an existing version number, e.g. {get_attr: '
                '[<version resource>, version_number]}, or 0 for the latest '
                'code.')


class TooManyVersions(VersionError):
    msg_fmt = _('Qinling function %(function)s already has %(max)s versions '
                '(%(numbers)s), the most Qinling allows. Delete versions '
                'that are no longer needed (versions with '
                '"deletion_policy: Retain" stay until their function is '
                'deleted) before publishing another.')


class CodeUnchanged(VersionError):
    msg_fmt = _('The code of Qinling function %(function)s has not '
                'changed since its latest version, and Qinling makes a '
                'version only from new code (it said: %(reason)s). '
                'Change the function\'s files first, or use the '
                'existing version.')


class VersionTaken(VersionError):
    msg_fmt = _('Alias %(other)s already points at version %(version)s '
                'of Qinling function %(function)s, and Qinling allows '
                'one alias per function version. Use alias %(other)s, '
                'point this alias at another version (0 is the latest '
                'code), or move %(other)s first.')
