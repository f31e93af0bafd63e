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

Four faults, four answers:

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
* An update failed: Qinling refused a value, could not be reached, or
  heat-engine died while it waited. Heat's default replaces every FAILED
  resource at the next update, whatever that update changes: a new webhook
  URL, a second alias on the version the first one still holds. The
  resources here are replaced only when their object is gone or broken;
  otherwise the next update (or a rollback) changes the object in place,
  starting from what Qinling holds now (``heat_internals.ObservedWhenFailed``)
  since the failure may have changed part of it.
* ``stack check`` stops checking the resources that depend on a failed one.
  The failure message of our resources reports the state of those
  dependents, so one check names every missing object.
"""
from oslo_log import log as logging
from oslo_serialization import jsonutils

from heat.common import exception
from heat.common.i18n import _
from heat.engine import resource

from heat_qinling.resources import heat_internals

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

    def check_object(self, obj):
        """Check the object, which exists; raise saying what is wrong.

        E.g. what it runs is gone.
        """

    def broken_reason(self, obj):
        """Why the object, which exists, cannot be updated in place, or None.

        E.g. a job that has finished: Qinling refuses to change it.
        """
        return None

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
        status = self.client_plugin().http_status(ex)
        if status is not None and 400 <= status < 500:
            self.data_delete(CREATE_SENT)

    def recover_resource_id(self):
        """The resource ID, found again after an interrupted create."""
        if self.resource_id is not None:
            return self.resource_id
        marker = self.data().get(CREATE_SENT)
        if not marker:
            return None
        found = self.unheld(self.find_created(jsonutils.loads(marker)))
        if found is not None:
            LOG.info('%(res)s: found %(kind)s %(id)s that an interrupted '
                     'create made', {'res': self, 'kind': self.object_kind,
                                     'id': found})
            self.resource_id_set(found)
        return found

    def unheld(self, object_id):
        """``object_id``, unless another row of this resource holds it.

        The replacement of a resource whose create was interrupted may have
        taken the object back (OS::Qinling::Version does): the delete of
        the failed one must then leave it.
        """
        if object_id is None:
            return None
        if any(row.physical_resource_id == object_id
               for row in heat_internals.siblings(self)):
            LOG.info('%(res)s: %(kind)s %(id)s that an interrupted create '
                     'made is held by its replacement', {
                         'res': self, 'kind': self.object_kind,
                         'id': object_id})
            return None
        return object_id

    def take_back_from_siblings(self):
        """Take the object an interrupted create of this resource made.

        For a replacement of that resource: the failed row's marker finds
        the object. Returns its ID, or None.
        """
        for row in heat_internals.siblings(self):
            marker = heat_internals.stored_data(row, CREATE_SENT)
            if row.physical_resource_id is None and marker:
                found = self.unheld(self.find_created(
                    jsonutils.loads(marker)))
                if found is not None:
                    LOG.info('%(res)s: takes back %(kind)s %(id)s that an '
                             'interrupted create made', {
                                 'res': self, 'kind': self.object_kind,
                                 'id': found})
                    self.resource_id_set(found)
                    return found
        return None

    # Update: re-create what is gone --------------------------------------

    def _is_gone(self, ex):
        return (isinstance(ex, exception.EntityNotFound) or
                self.client_plugin().is_not_found(ex))

    def gone(self):
        """True when the object Heat recorded no longer exists.

        False when Qinling does not answer: an update that changes nothing
        in Qinling (another resource's, a rollback's) then goes on, and one
        that does fails when it writes.
        """
        if self.resource_id is None:
            return False
        try:
            self.show_object(self.resource_id)
        except Exception as ex:
            if self._is_gone(ex):
                return True
            if self.client_plugin().is_unreachable(ex):
                LOG.warning('%(res)s: Qinling did not answer (%(ex)s); '
                            'taking %(kind)s %(id)s as still there',
                            {'res': self, 'ex': ex, 'kind': self.object_kind,
                             'id': self.resource_id})
                return False
            raise
        return False

    def needs_replace_failed(self):
        """Replace a FAILED resource only if its object is gone or broken.

        As Heat's OS::Nova::Server does. Qinling refuses a bad value before
        it writes anything, and a failure half-way leaves an object that
        the next update can still change, so keeping the object keeps its
        ID (and a webhook's URL). An object that an interrupted create made
        is taken back (``recover_resource_id``); a resource that made none
        is replaced.
        """
        try:
            if self.resource_id is None:
                if self.recover_resource_id() is None:
                    return True
                self.create_recovered()
            obj = self.show_object(self.resource_id)
        except Exception as ex:
            if self._is_gone(ex):
                LOG.info('%(res)s failed and %(kind)s %(id)s is gone: the '
                         'update replaces it', {'res': self,
                                                'kind': self.object_kind,
                                                'id': self.resource_id})
                return True
            # Heat calls this outside its error handling: anything but a
            # ResourceFailure would leave the stack IN_PROGRESS for good.
            raise exception.ResourceFailure(exception.Error(_(
                'Cannot tell whether %(kind)s %(id)s can be updated in place '
                '(%(reason)s); the update changed nothing. Update again when '
                'Qinling answers.') % {'kind': self.object_kind,
                                       'id': self.resource_id,
                                       'reason': ex}), self, self.UPDATE)
        reason = self.broken_reason(obj)
        if reason:
            LOG.info('%(res)s failed and %(reason)s: the update replaces it',
                     {'res': self, 'reason': reason})
            return True
        return False

    def create_recovered(self):
        """Finish what an interrupted create of the object had left to do.

        E.g. pause a job made disabled.
        """

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
            obj = self.show_object(self.resource_id)
        except Exception as ex:
            if not self._is_gone(ex):
                self._check_failed(str(ex))
            message = _('%(kind)s %(id)s is gone (deleted outside Heat); '
                        '"openstack stack update --existing --converge" '
                        're-creates it.') % {'kind': self.object_kind,
                                             'id': self.resource_id}
            if isinstance(ex, exception.EntityNotFound):
                message = '%s (%s)' % (message, ex)
            self._check_failed(message)
        try:
            self.check_object(obj)
        except Exception as ex:
            self._check_failed(str(ex))

    def _check_failed(self, message):
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
            object_id = dep.resource_id or heat_internals.stored_physical_id(
                self.stack, dep.name)
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


def _not_found(rsrc, ex):
    try:
        return rsrc.client_plugin().is_not_found(ex)
    except Exception:
        return False
