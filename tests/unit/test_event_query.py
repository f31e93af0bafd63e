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

"""heat_qinling.event_query: which conditions Aodh's event evaluator can use,
and what the message says about the others."""
from oslotest import base as oslotest_base
import testscenarios

from heat_qinling import event_query

load_tests = testscenarios.load_tests_apply_scenarios


def condition(**overrides):
    good = {'field': 'traits.display_name', 'op': 'eq', 'type': 'string',
            'value': 'web1'}
    good.update(overrides)
    return {k: v for k, v in good.items() if v is not None}


class UsableConditionTest(oslotest_base.BaseTestCase):
    """Conditions Aodh evaluates: no problem reported."""

    scenarios = [
        ('string', dict(query=[condition()])),
        ('no type (string)', dict(query=[condition(type='')])),
        ('integer', dict(query=[condition(field='traits.size', op='ge',
                                          type='integer', value='10')])),
        ('float', dict(query=[condition(field='traits.ratio', op='lt',
                                        type='float', value='0.5')])),
        ('several', dict(query=[condition(), condition(
            field='traits.state', op='ne', value='error')])),
        ('dotted trait name', dict(query=[condition(
            field="traits.image_meta.os_distro")])),
        ('empty', dict(query=[])),
        ('none', dict(query=None)),
    ]

    def test_no_problem(self):
        self.assertEqual([], event_query.problems(self.query))


class UnusableConditionTest(oslotest_base.BaseTestCase):
    """Each kind of unusable condition is named, with what to write."""

    scenarios = [
        ('boolean', dict(
            cond=condition(field='traits.is_public', type='boolean',
                           value='true'),
            fragments=['query[0] (traits.is_public)', 'type "boolean"',
                       'silences every event alarm of the project',
                       'use type string with value "True" or "False"'])),
        ('datetime', dict(
            cond=condition(field='traits.launched_at', type='datetime',
                           value='2026-01-01T00:00:00'),
            fragments=['type "datetime"', "refused by Aodh's API",
                       'filter on another trait'])),
        ('field without traits.', dict(
            cond=condition(field='display_name'),
            fragments=['query[0] (display_name)', 'not a trait',
                       'never fires', '"traits.display_name"'])),
        ('event_type as a field', dict(
            cond=condition(field='event_type', value='compute.*'),
            fragments=['not a trait', '"traits.event_type"'])),
        ('no field', dict(
            cond=condition(field=None),
            fragments=['not a trait', '"traits.display_name"'])),
        ('empty trait name', dict(
            cond=condition(field='traits.'),
            fragments=['"traits." and a trait name'])),
        ('trait name with a space', dict(
            cond=condition(field='traits.display name'),
            fragments=["Aodh's API refuses others"])),
        ('no value', dict(
            cond=condition(value=None),
            fragments=['no value to compare with'])),
        ('integer that is not', dict(
            cond=condition(field='traits.size', type='integer',
                           value='ten'),
            fragments=['value "ten" is not a number of type integer',
                       'give a number, or compare as type string'])),
        ('float that is not', dict(
            cond=condition(field='traits.ratio', type='float', value='x'),
            fragments=['not a number of type float'])),
    ]

    def test_named_with_the_fix(self):
        found = event_query.problems([self.cond])
        self.assertEqual(1, len(found), found)
        for fragment in self.fragments:
            self.assertIn(fragment, found[0])

    def test_position_in_the_query(self):
        found = event_query.problems([condition(), self.cond])
        self.assertEqual(1, len(found), found)
        self.assertTrue(found[0].startswith('query[1] '), found[0])


class SeveralProblemsTest(oslotest_base.BaseTestCase):

    def test_every_problem_is_reported(self):
        found = event_query.problems([
            condition(type='boolean', value='true'),
            condition(),
            condition(field='state')])
        self.assertEqual(2, len(found), found)
        self.assertIn('query[0]', found[0])
        self.assertIn('query[2]', found[1])

    def test_two_problems_of_one_condition(self):
        found = event_query.problems([condition(field='flag', type='boolean',
                                                value='true')])
        self.assertEqual(2, len(found), found)
        self.assertIn('"boolean"', found[0])
        self.assertIn('not a trait', found[1])
