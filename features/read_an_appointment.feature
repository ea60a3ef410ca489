Feature: Read an appointment
  A consumer reads one appointment by its id. It carries the slot type and schedule type it was
  booked with, and its ETag names its version.

  Background:
    Given the test patient is found by their NHS number

  @writes @req:READ-TYPE-01 @req:READ-STATE-01 @req:APPT-NOREASON-01 @req:APPT-ID-01 @req:APPT-CREATED-01 @req:APPT-FUTURE-01 @req:APPT-ORG-01
  @req:APPT-PARTICIPANT-01 @req:APPT-READBACK-01 @req:APPT-PRIORITY-01 @req:FND-META-02
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
