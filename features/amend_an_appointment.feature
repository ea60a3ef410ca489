Feature: Amend an appointment
  A consumer may change only an appointment's description and comment. The slot type and schedule
  type survive the amendment and cannot be changed by it.

  Background:
    Given the test patient is found by their NHS number

  @writes @req:AMEND-01 @req:AMEND-OTHER-01
  Scenario: Amending description and comment gives a new version and keeps both types
    Given an appointment this run booked for the test patient
    When the consumer amends its description and comment
    Then the provider answers 200 with a new version of the appointment
    And the description and comment are as the consumer sent them
    And the appointment carries the slot type and schedule type it was booked with

  @writes @req:AMEND-TYPES-01 @req:ERR-OO-01
  Scenario Outline: An amendment that changes the <type> is refused
    Given an appointment this run booked for the test patient
    When the consumer amends its <type>
    Then the provider refuses it with 422 INVALID_RESOURCE
    And the appointment is unchanged

    Examples:
      | type          |
      | slot type     |
      | schedule type |

  @writes @req:AMEND-ETAG-01 @req:ERR-OO-01
  Scenario: An amendment with a stale If-Match is refused
    Given an appointment this run booked for the test patient
    When the consumer amends it with an If-Match of a version that has since changed
    Then the provider refuses it with HTTP 409

  @writes @req:AMEND-CANCELLED-01 @req:ERR-OO-01
  Scenario: A cancelled appointment cannot be amended
    Given an appointment this run booked for the test patient and then cancelled
    When the consumer amends its description and comment
    Then the provider refuses it with 422 INVALID_RESOURCE
