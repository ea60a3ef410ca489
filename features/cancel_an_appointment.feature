Feature: Cancel an appointment
  A consumer cancels an appointment by changing only its status and adding a cancellation reason.
  The cancelled Appointment keeps its slot type and schedule type.

  Background:
    Given the test patient is found by their NHS number

  @writes @req:CANCEL-01 @req:CANCEL-KEEP-01 @req:APPT-NOREASON-01 @req:APPT-ID-01 @req:APPT-CREATED-01 @req:APPT-FUTURE-01 @req:APPT-ORG-01
  @req:APPT-PARTICIPANT-01 @req:APPT-PRIORITY-01 @req:FND-META-02
  Scenario: Cancelling keeps the reason and both types
    Given an appointment this run booked for the test patient
    When the consumer cancels it with a reason
    Then the provider answers 200 with the appointment cancelled in a new version
    And the cancellation reason is kept
    And the appointment carries the slot type and schedule type it was booked with
    And everything but its status and cancellation reason is as it was booked

  @writes @req:CANCEL-COMPAT-01 @req:CANCEL-01 @req:CANCEL-KEEP-01 @req:APPT-NOREASON-01 @req:APPT-ID-01
  @req:APPT-CREATED-01 @req:APPT-FUTURE-01 @req:APPT-ORG-01 @req:APPT-PARTICIPANT-01 @req:APPT-PRIORITY-01
  @req:FND-META-02
  Scenario: A cancellation that leaves out the slot type and schedule type, as consumers before 1.2.7 send it, keeps both
    Given an appointment this run booked for the test patient
    When the consumer cancels it with a reason leaving out the slot type and schedule type
    Then the provider accepts the cancellation without the types
    And the provider answers 200 with the appointment cancelled in a new version
    And the cancellation reason is kept
    And the appointment carries the slot type and schedule type it was booked with
    And everything but its status and cancellation reason is as it was booked

  @writes @req:CANCEL-REASON-01 @req:ERR-OO-01
  Scenario: A cancellation without a reason is refused
    Given an appointment this run booked for the test patient
    When the consumer cancels it without a reason
    Then the provider refuses it with an error
    And the appointment is unchanged

  @writes @req:CANCEL-REASON-01 @req:CANCEL-REASON-01-CODE @req:ERR-OO-01 @req:ERR-OO-05
  Scenario: A cancellation whose reason is empty is refused
    Given an appointment this run booked for the test patient
    When the consumer cancels it with an empty reason
    Then the provider refuses it with 422 INVALID_PARAMETER
    And the appointment is unchanged

  @writes @req:CANCEL-OTHER-01 @req:CANCEL-OTHER-01-CODE @req:ERR-OO-01
  Scenario Outline: A cancellation that also changes the <field> is refused
    Given an appointment this run booked for the test patient
    When the consumer cancels it and also changes its <field>
    Then the provider refuses it with 422 INVALID_RESOURCE
    And the appointment is unchanged

    Examples:
      | field                |
      | description          |
      | slot type            |
      | comment              |
      | schedule type        |
      | start                |
      | end                  |
      | participant          |
      | slot                 |
      | priority             |
      | booking organisation |
      | created              |
      | participants, adding three                        |
      | participants, adding three by absolute reference  |
      | appointment type text                             |
      | booking organisation reference to an absolute URL |
      | cancellation reason URL to an empty one           |
      | cancellation reason URL to a misspelt one         |

  @writes @req:CANCEL-ETAG-01 @req:CANCEL-ETAG-01-CODE @req:ERR-OO-01
  Scenario: A cancellation with a stale If-Match is refused
    Given an appointment this run booked for the test patient
    When the consumer cancels it with an If-Match of a version that has since changed
    Then the provider refuses it with 409 FHIR_CONSTRAINT_VIOLATION

  @writes @req:CANCEL-ETAG-01 @req:CANCEL-ETAG-01-CODE @req:ERR-OO-01
  Scenario: A cancellation with the If-Match "invalidEtag" is refused and changes nothing
    Given an appointment this run booked for the test patient
    When the consumer cancels it with a reason and the If-Match "invalidEtag"
    Then the provider refuses it with 409 FHIR_CONSTRAINT_VIOLATION
    And the appointment is unchanged

  @writes @req:CANCEL-01 @req:CANCEL-KEEP-01 @req:READ-TYPE-01 @req:READ-STATE-01 @req:RETR-TYPE-01 @req:RETR-STATE-01
  @req:APPT-NOREASON-01
  Scenario Outline: A cancelled appointment of <count> slots keeps its types, slots and span, read and retrieved afterwards
    Given an appointment this run booked for the test patient on <count> adjacent slots
    When the consumer cancels it with a reason
    Then the provider answers 200 with the appointment cancelled in a new version
    And the appointment carries the slot type and schedule type it was booked with
    And reading it back shows it as this run last left it
    And retrieving the test patient's appointments shows it as this run last left it

    Examples:
      | count |
      | 2     |
      | 3     |

  @writes @req:FND-FMT-03 @req:CANCEL-01 @req:FND-META-02
  Scenario Outline: A cancellation sending _format=application/fhir+json with Accept <accept> is answered in FHIR JSON like any cancellation
    Given an appointment this run booked for the test patient
    When the consumer cancels it with a reason sending _format=application/fhir+json with Accept <accept>
    Then the provider answers in FHIR JSON, as _format asked
    And the provider answers 200 with the appointment cancelled in a new version
    And the cancellation reason is kept
    And the appointment carries the slot type and schedule type it was booked with

    Examples:
      | accept                |
      | application/fhir+json |
      | application/fhir+xml  |

  @writes @req:FND-PREFER-02 @req:CANCEL-01 @req:FND-META-02 @req:APPT-PARTICIPANT-01 @req:APPT-READBACK-01
  Scenario: A cancellation sending Prefer: return=representation is answered with the whole appointment
    Given an appointment this run booked for the test patient
    When the consumer cancels it with a reason sending Prefer: return=representation
    Then the provider answers with the whole appointment, as Prefer asked
    And the provider answers 200 with the appointment cancelled in a new version
    And the cancellation reason is kept
    And the appointment carries the slot type and schedule type it was booked with
    And each participant of the appointment reads back as its resource type

  @writes @req:FND-PREFER-01 @req:CANCEL-01
  Scenario: A cancellation sending Prefer: return=minimal is answered without a body, and the appointment is cancelled
    Given an appointment this run booked for the test patient
    When the consumer cancels it with a reason sending Prefer: return=minimal
    Then the provider answers with no body, as Prefer asked
    And reading it back shows it cancelled with the reason
