Feature: Amend an appointment
  A consumer may change only an appointment's description and comment. The slot type and schedule
  type survive the amendment and cannot be changed by it.

  Background:
    Given the test patient is found by their NHS number

  @writes @req:AMEND-01 @req:AMEND-OTHER-01 @req:APPT-NOREASON-01 @req:APPT-ID-01 @req:APPT-CREATED-01 @req:APPT-FUTURE-01 @req:APPT-ORG-01
  @req:APPT-PARTICIPANT-01 @req:APPT-READBACK-01 @req:APPT-PRIORITY-01 @req:FND-META-02
  Scenario: Amending description and comment gives a new version and keeps both types
    Given an appointment this run booked for the test patient
    When the consumer amends its description and comment
    Then the provider answers 200 with a new version of the appointment
    And the description and comment are as the consumer sent them
    And the appointment carries the slot type and schedule type it was booked with
    And each participant of the appointment reads back as its resource type

  @writes @req:AMEND-COMPAT-01 @req:AMEND-01 @req:APPT-NOREASON-01 @req:APPT-ID-01 @req:APPT-CREATED-01
  @req:APPT-FUTURE-01 @req:APPT-ORG-01 @req:APPT-PARTICIPANT-01 @req:APPT-READBACK-01 @req:APPT-PRIORITY-01
  @req:FND-META-02
  Scenario: An amendment that leaves out the slot type and schedule type, as consumers before 1.2.7 send it, keeps both
    Given an appointment this run booked for the test patient
    When the consumer amends its description and comment leaving out the slot type and schedule type
    Then the provider accepts the amendment without the types
    And the description and comment are as the consumer sent them
    And the appointment carries the slot type and schedule type it was booked with
    And each participant of the appointment reads back as its resource type

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

  @writes @req:AMEND-ETAG-01 @req:ERR-OO-01
  Scenario: An amendment with the If-Match "invalidEtag" is refused and changes nothing
    Given an appointment this run booked for the test patient
    When the consumer amends its description and comment with the If-Match "invalidEtag"
    Then the provider refuses it with HTTP 409
    And the appointment is unchanged

  @writes @req:AMEND-CANCELLED-01 @req:ERR-OO-01
  Scenario: A cancelled appointment cannot be amended
    Given an appointment this run booked for the test patient and then cancelled
    When the consumer amends its description and comment
    Then the provider refuses it with 422 INVALID_RESOURCE

  @writes @req:AMEND-01 @req:AMEND-OTHER-01 @req:READ-TYPE-01 @req:READ-STATE-01 @req:READ-ETAG-01
  @req:RETR-TYPE-01 @req:RETR-STATE-01 @req:APPT-NOREASON-01
  Scenario Outline: An amended appointment of <count> slots keeps its types, slots and span, read and retrieved afterwards
    Given an appointment this run booked for the test patient on <count> adjacent slots
    When the consumer amends its description and comment
    Then the provider answers 200 with a new version of the appointment
    And the description and comment are as the consumer sent them
    And the appointment carries the slot type and schedule type it was booked with
    And reading it back shows it as this run last left it
    And retrieving the test patient's appointments shows it as this run last left it

    Examples:
      | count |
      | 2     |
      | 3     |

  @writes @req:AMEND-OTHER-01 @req:ERR-OO-01
  Scenario Outline: An amendment that also changes the <field> is refused and changes nothing
    Given an appointment this run booked for the test patient
    When the consumer amends its description and also its <field>
    Then the provider refuses it with 422 INVALID_RESOURCE
    And the appointment is unchanged

    Examples:
      | field                |
      | start                |
      | end                  |
      | participant          |
      | slot                 |
      | status               |
      | priority             |
      | booking organisation |
      | created              |
      | status to noshow                                  |
      | cancellation reason                               |
      | booking organisation reference to an absolute URL |
      | participants, adding three by absolute reference  |
      | resource type                                     |
      | whole body to an empty Appointment                |

  @writes @req:AMEND-01 @req:READ-STATE-01
  Scenario: A description of 100 and a comment of 500 characters are amended and read back intact
    Given an appointment this run booked for the test patient
    When the consumer amends its description to 100 and its comment to 500 characters
    Then the description and comment are stored and read back intact

  @writes @req:AMEND-01 @req:READ-STATE-01 @req:ERR-OO-01
  Scenario Outline: A description of <description> and a comment of <comment> characters are amended intact or refused, never cut
    Given an appointment this run booked for the test patient
    When the consumer amends its description to <description> and its comment to <comment> characters
    Then the description and comment are stored and read back intact, or not accepted at all

    Examples:
      | description | comment |
      | 101         | 501     |
      | 1000        | 5000    |

  @writes @req:FND-FMT-03 @req:AMEND-01 @req:FND-META-02
  Scenario Outline: An amendment sending _format=application/fhir+json with Accept <accept> is answered in FHIR JSON like any amendment
    Given an appointment this run booked for the test patient
    When the consumer amends its description and comment sending _format=application/fhir+json with Accept <accept>
    Then the provider answers in FHIR JSON, as _format asked
    And the provider answers 200 with a new version of the appointment
    And the description and comment are as the consumer sent them
    And the appointment carries the slot type and schedule type it was booked with

    Examples:
      | accept                |
      | application/fhir+json |
      | application/fhir+xml  |

  @writes @req:FND-PREFER-02 @req:AMEND-01
  Scenario: An amendment sending Prefer: return=representation is answered with the whole appointment
    Given an appointment this run booked for the test patient
    When the consumer amends its description and comment sending Prefer: return=representation
    Then the provider answers with the whole appointment, as Prefer asked
    And the provider answers 200 with a new version of the appointment
    And the description and comment are as the consumer sent them
    And the appointment carries the slot type and schedule type it was booked with

  @writes @req:FND-PREFER-01 @req:AMEND-01
  Scenario: An amendment sending Prefer: return=minimal is answered without a body, and the amendment is made
    Given an appointment this run booked for the test patient
    When the consumer amends its description and comment sending Prefer: return=minimal
    Then the provider answers with no body, as Prefer asked
    And reading it back shows the description and comment as the consumer sent them
