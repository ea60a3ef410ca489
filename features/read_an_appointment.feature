Feature: Read an appointment
  A consumer reads one appointment by its id. It carries the slot type and schedule type it was
  booked with, and its ETag names its version.

  Background:
    Given the test patient is found by their NHS number

  @writes @req:READ-TYPE-01 @req:READ-STATE-01 @req:APPT-NOREASON-01 @req:APPT-ID-01 @req:APPT-CREATED-01 @req:APPT-FUTURE-01 @req:APPT-ORG-01
  @req:APPT-PARTICIPANT-01 @req:APPT-READBACK-01 @req:APPT-PRIORITY-01 @req:FND-META-02 @req:READ-IDENT-01
  Scenario: A read appointment carries the slot type and schedule type it was booked with
    Given an appointment this run booked for the test patient
    When the consumer reads that appointment
    Then the provider answers 200 with the appointment
    And the appointment carries the slot type and schedule type it was booked with
    And each participant of the appointment reads back as its resource type

  @writes @req:READ-ETAG-01
  Scenario: The ETag of a read appointment is its version
    Given an appointment this run booked for the test patient
    When the consumer reads that appointment
    Then the ETag is W/"<meta.versionId>" of the appointment

  @req:READ-404-01 @req:ERR-OO-01
  Scenario: Reading an unknown appointment is refused with 404
    When the consumer reads an appointment id that does not exist
    Then the provider refuses it with HTTP 404

  @writes @req:READ-TYPE-01 @req:READ-STATE-01 @req:APPT-NOREASON-01
  Scenario Outline: A read appointment of <count> slots carries the types, slots and span it was booked with
    Given an appointment this run booked for the test patient on <count> adjacent slots
    When the consumer reads that appointment
    Then the provider answers 200 with the appointment
    And the appointment carries the slot type and schedule type it was booked with

    Examples:
      | count |
      | 2     |
      | 3     |

  @writes @req:FND-FMT-03 @req:READ-TYPE-01 @req:READ-STATE-01
  Scenario Outline: A read sending _format=application/fhir+json with Accept <accept> is answered in FHIR JSON like any read
    Given an appointment this run booked for the test patient
    When the consumer reads that appointment sending _format=application/fhir+json with Accept <accept>
    Then the provider answers in FHIR JSON, as _format asked
    And the provider answers 200 with the appointment
    And the appointment carries the slot type and schedule type it was booked with

    Examples:
      | accept                |
      | application/fhir+json |
      | application/fhir+xml  |

  @req:READ-404-01 @req:ERR-OO-01
  Scenario: Reading the appointment id Invalid4321, which no appointment has, is refused with 404
    When the consumer reads the appointment id "Invalid4321"
    Then the provider refuses it with HTTP 404

  @req:READ-404-02 @req:ERR-OO-01
  Scenario: Reading an appointment with an empty id is refused with 404
    When the consumer reads the appointment id ""
    Then the provider refuses it with HTTP 404

  @writes @req:READ-ORG-01
  Scenario: An appointment booked by another organisation is read with the booking organisation the booking sent
    Given an appointment this run booked for the test patient with the JWT of another organisation
    When the consumer reads that appointment
    Then the provider answers 200 with the booking organisation the booking sent
