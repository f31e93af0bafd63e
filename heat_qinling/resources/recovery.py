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

"""Resources that survive faults: a dead engine, objects deleted behind Heat.

Three faults, three answers:

* heat-engine dies (or loses its database) between sending a create and
  storing the ID it got back. The resource has no ``resource_id``, yet the
  object exists. Before sending a create, the resource records in its
  resource data how to recognise what it is about to make (a function's
  unique name; for a webhook, which has no name, its fields and the webhooks
  that existed before). A later delete, or the replacement that ``stack
  update`` makes of the failed resource, finds the object that way and
  deletes it.
* The object was deleted outside Heat. An update replaces the resource (a
  new object is created) instead of sending a PUT to an object that is gone,
  so one ``stack update`` converges however many objects are missing.
* ``stack check`` stops checking the resources that depend on a failed one.
  The failure message of our resources reports the state of those
  dependents, so one check names every missing object.
"""
from oslo_log import log as logging
from oslo_serialization import jsonutils

from heat.common import exception
from heat.common.i18n import _
from heat.engine import resource
from heat.objects import resource as resource_objects

LOG = logging.getLogger(__name__)

CREATE_SENT = 'create_sent'


class Recoverable(object):
    """Mixin for a Resource whose object lives in Qinling."""

    # What the object is called in messages, e.g. "Qinling function".
    object_kind = None

    # Hooks for the resource --------------------------------------------

    def find_created(self, marker):
        """The ID of the object an interrupted create made, or None."""
        raise NotImplementedError()

    def show_object(self, object_id):
        """Read the object (raises a not-found error when it is gone)."""
        raise NotImplementedError()

    def check_object(self):
        """The resource's own check (handle_check without the extras)."""
        self.show_object(self.resource_id)

    # Create and delete ---------------------------------------------------

    def create_sending(self, marker):
        """Record, before sending a create, how to find what it makes."""
        self.data_set(CREATE_SENT, jsonutils.dumps(marker))

    def create_rejected(self, ex):
        """A create failed; forget the marker if nothing was made.

        An answer in the 4xx range means Qinling wrote nothing. A lost
        connection, a timeout or a 5xx may hide a create that happened, so
        the marker stays for the delete to look.
        """
        status = self.client_plugin()._status(ex)
        if status is not None and 400 <= status < 500:
            self.data_delete(CREATE_SENT)

    def recover_resource_id(self):
        """The resource ID, found again after an interrupted create."""
        if self.resource_id is not None:
            return self.resource_id
        marker = self.data().get(CREATE_SENT)
        if not marker:
            return None
        found = self.find_created(jsonutils.loads(marker))
        if found is not None:
            LOG.info('%(res)s: found %(kind)s %(id)s that an interrupted '
                     'create made', {'res': self, 'kind': self.object_kind,
                                     'id': found})
            self.resource_id_set(found)
        return found

    # Update: re-create what is gone --------------------------------------

    def gone(self):
        """True when the object Heat recorded no longer exists."""
        if self.resource_id is None:
            return False
        try:
            self.show_object(self.resource_id)
        except Exception as ex:
            if self.client_plugin().is_not_found(ex):
                return True
            raise
        return False

    def needs_replace(self, after_props):
        if self.gone():
            LOG.info('%(res)s: %(kind)s %(id)s was deleted outside Heat; '
                     'the update re-creates it',
                     {'res': self, 'kind': self.object_kind,
                      'id': self.resource_id})
            return True
        return super(Recoverable, self).needs_replace(after_props)

    def replace_if_gone(self, ex):
        """Turn a not-found answer during an update into a replacement."""
        if self.client_plugin().is_not_found(ex):
            raise resource.UpdateReplace(self)

    # Check ------------------------------------------------------------

    def handle_check(self):
        try:
            self.check_object()
        except Exception as ex:
            if self.client_plugin().is_not_found(ex):
                message = _('%(kind)s %(id)s is gone (deleted outside '
                            'Heat); "openstack stack update --existing '
                            '--converge" re-creates it.') % {
                    'kind': self.object_kind, 'id': self.resource_id}
            else:
                message = str(ex)
            dependents = self._dependents_report()
            if dependents:
                message = '%s %s' % (message, _(
                    'Heat skips the check of the resources that depend on '
                    'this one; their state: %s.') % '; '.join(dependents))
            raise exception.Error(message)

    def _dependents(self):
        """The stack's resources that need this one, directly or not.

        Read from the definitions: a convergence stack's dependency graph
        is keyed by graph nodes, not resources.
        """
        resources = self.stack.resources
        needed = {self.name}
        found = True
        while found:
            found = False
            for name, rsrc in resources.items():
                if name not in needed and (
                        needed & set(rsrc.t.required_resource_names())):
                    needed.add(name)
                    found = True
        needed.discard(self.name)
        return [resources[name] for name in sorted(needed)]

    def _dependents_report(self):
        report = []
        for dep in self._dependents():
            object_id = dep.resource_id or self._stored_id(dep.name)
            if object_id is None:
                continue
            try:
                if hasattr(dep, 'show_object'):
                    dep.show_object(object_id)
                elif dep.entity:
                    getattr(dep.client(), dep.entity).get(object_id)
                else:
                    continue
            except Exception as ex:
                if _not_found(dep, ex):
                    state = _('gone (%s)') % object_id
                else:
                    state = str(ex)
            else:
                state = _('present')
            report.append('%s: %s' % (dep.name, state))
        return report

    def _stored_id(self, name):
        # A stack loaded for a check may hold resources built from the
        # definitions only; the IDs are in the database.
        if self.stack.id is None:
            return None
        stored = resource_objects.Resource.get_all_by_stack(
            self.context, self.stack.id).get(name)
        return getattr(stored, 'physical_resource_id', None)


def _not_found(rsrc, ex):
    try:
        return rsrc._default_client_plugin().is_not_found(ex)
    except Exception:
        return False
