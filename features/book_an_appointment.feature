Feature: Book an appointment
  A consumer books one free slot, or several adjacent slots at once, for a patient. Since 1.2.7
  the Appointment carries the booked slot's slot type and its schedule's schedule type, and
  adjacent slots may be booked together only when they share schedule, delivery channel and
  slot type. A refused booking books nothing.

  Background:
    Given the test patient is found by their NHS number

  @writes @req:BOOK-01 @req:BOOK-TYPE-01 @req:BOOK-SCHEDTYPE-01 @req:BOOK-ORG-01 @req:BOOK-TEXT-01
  @req:BOOK-FIELDS-01 @req:APPT-NOREASON-01 @req:APPT-ID-01 @req:APPT-CREATED-01 @req:APPT-FUTURE-01 @req:APPT-ORG-01
  @req:APPT-PARTICIPANT-01 @req:APPT-READBACK-01 @req:APPT-PRIORITY-01 @req:FND-META-02
  Scenario: Booking a free slot gives an appointment with that slot's slot type and schedule type
    Given a free slot
    When the consumer books those slots for the test patient
    Then the provider answers 201 with a Location and an ETag
    And the appointment carries the booked slots' slot type and their schedule's schedule type
    And the appointment lists every booked slot and spans them
    And the booking organisation, description and comment are returned as the consumer sent them
    And each participant of the appointment reads back as its resource type

  @writes @req:BOOK-01 @req:BOOK-FIELDS-01 @req:APPT-NOREASON-01 @req:APPT-PARTICIPANT-01 @req:APPT-CREATED-01
  Scenario Outline: A booking sent <organisation>, <channel> and <role> gives an appointment with its slot's channel and role
    Given a free slot found by a search <organisation>
    When the consumer books it for the test patient <organisation>, <channel> and <role>
    Then the provider answers 201 with a Location and an ETag
    And the appointment carries the booked slots' slot type and their schedule's schedule type

    Examples:
      | organisation                 | channel                          | role                                  |
      | without an organisation type | without a delivery channel       | without a practitioner role           |
      | without an organisation type | without a delivery channel       | with the schedule's practitioner role |
      | without an organisation type | with the slot's delivery channel | without a practitioner role           |
      | without an organisation type | with the slot's delivery channel | with the schedule's practitioner role |
      | with its organisation type   | without a delivery channel       | without a practitioner role           |
      | with its organisation type   | without a delivery channel       | with the schedule's practitioner role |
      | with its organisation type   | with the slot's delivery channel | without a practitioner role           |
      | with its organisation type   | with the slot's delivery channel | with the schedule's practitioner role |

  @writes @req:BOOK-MULTI-01 @req:BOOK-TYPE-01 @req:BOOK-SCHEDTYPE-01
  Scenario Outline: Booking <count> adjacent slots that share schedule, delivery channel and slot type succeeds
    Given a run of <count> adjacent free slots that share schedule, delivery channel and slot type
    When the consumer books those slots for the test patient
    Then the provider answers 201 with a Location and an ETag
    And the appointment lists every booked slot and spans them
    And the appointment carries the booked slots' slot type and their schedule's schedule type

    Examples:
      | count |
      | 2     |
      | 3     |

  @writes @req:BOOK-MULTI-ADJ-01 @req:BOOK-ATOMIC-01
  Scenario: Booking two slots with a gap between them is refused and books nothing
    Given two free slots of one schedule with a gap between them
    When the consumer books those slots for the test patient
    Then the provider refuses the multi-slot booking
    And the test patient has no appointment on those slots and every one of them is still free

  @writes @req:BOOK-MULTI-SCHED-01 @req:BOOK-ATOMIC-01
  Scenario: Booking two adjacent slots of different schedules is refused and books nothing
    Given two adjacent free slots that differ in schedule
    When the consumer books those slots for the test patient
    Then the provider refuses the multi-slot booking
    And the test patient has no appointment on those slots and every one of them is still free

  @writes @req:BOOK-MULTI-CHANNEL-01 @req:BOOK-ATOMIC-01
  Scenario: Booking two adjacent slots of different delivery channels is refused and books nothing
    Given two adjacent free slots that differ in channel
    When the consumer books those slots for the test patient
    Then the provider refuses the multi-slot booking
    And the test patient has no appointment on those slots and every one of them is still free

  @writes @req:BOOK-MULTI-TYPE-01 @req:BOOK-ATOMIC-01
  Scenario: Booking two adjacent slots of different slot types is refused and books nothing
    Given two adjacent free slots that differ in slot type
    When the consumer books those slots for the test patient
    Then the provider refuses the multi-slot booking
    And the test patient has no appointment on those slots and every one of them is still free

  @writes @req:BOOK-MULTI-ADJ-01 @req:BOOK-ATOMIC-01
  Scenario: Booking three slots whose third follows a gap is refused and books nothing
    Given two adjacent free slots that share schedule, delivery channel and slot type, and a third after a gap
    When the consumer books those slots for the test patient
    Then the provider refuses the multi-slot booking
    And the test patient has no appointment on those slots and every one of them is still free

  @writes @req:BOOK-MULTI-SCHED-01 @req:BOOK-ATOMIC-01
  Scenario: Booking three adjacent slots whose third is of another schedule is refused and books nothing
    Given two adjacent free slots that share schedule, delivery channel and slot type, and an adjacent third of another schedule
    When the consumer books those slots for the test patient
    Then the provider refuses the multi-slot booking
    And the test patient has no appointment on those slots and every one of them is still free

  @writes @req:BOOK-MULTI-CHANNEL-01 @req:BOOK-ATOMIC-01
  Scenario: Booking three adjacent slots whose third is of another delivery channel is refused and books nothing
    Given two adjacent free slots that share schedule, delivery channel and slot type, and an adjacent third of another channel
    When the consumer books those slots for the test patient
    Then the provider refuses the multi-slot booking
    And the test patient has no appointment on those slots and every one of them is still free

  @writes @req:BOOK-MULTI-TYPE-01 @req:BOOK-ATOMIC-01
  Scenario: Booking three adjacent slots whose third is of another slot type is refused and books nothing
    Given two adjacent free slots that share schedule, delivery channel and slot type, and an adjacent third of another slot type
    When the consumer books those slots for the test patient
    Then the provider refuses the multi-slot booking
    And the test patient has no appointment on those slots and every one of them is still free

  @writes @req:BOOK-DUP-01 @req:BOOK-ATOMIC-01 @req:ERR-OO-01
  Scenario Outline: Booking 3 adjacent slots whose <position> was just booked is refused as a duplicate and books nothing
    Given a run of 3 adjacent free slots that share schedule, delivery channel and slot type
    And the <position> of those slots was just booked for the test patient
    When the consumer books those slots for the test patient
    Then the provider refuses it with 409 DUPLICATE_REJECTED
    And the test patient has no appointment on those slots but the one just booked, and the others are still free

    Examples:
      | position |
      | second   |
      | third    |

  @writes @req:BOOK-STARTEND-01 @req:BOOK-ATOMIC-01 @req:ERR-OO-01
  Scenario: A booking whose end is not its last slot's end is refused and books nothing
    Given a run of 2 adjacent free slots that share schedule, delivery channel and slot type
    When the consumer books the first of those slots with the end of the second
    Then the provider refuses it with an error
    And the test patient has no appointment on those slots and every one of them is still free

  @writes @req:BOOK-DUP-01 @req:ERR-OO-01
  Scenario: Booking a slot that was just booked is refused as a duplicate
    Given a free slot
    When the consumer books those slots for the test patient
    And the consumer books the same slots again
    Then the provider refuses it with 409 DUPLICATE_REJECTED

  @writes @req:BOOK-DUP-01 @req:ERR-OO-01
  Scenario: Booking a slot just booked for another patient is refused as a duplicate
    Given a free slot
    When the consumer books those slots for the test patient
    And the consumer books the same slots for the second test patient
    Then the provider refuses it with 409 DUPLICATE_REJECTED

  @writes @req:BOOK-RACE-01
  Scenario: Of two simultaneous bookings of one slot exactly one succeeds
    Given a free slot
    When two consumers book those slots at the same moment
    Then exactly one booking succeeds and the other is refused with 409 DUPLICATE_REJECTED

  @writes @req:BOOK-IGNORE-01 @req:BOOK-TYPE-01 @req:BOOK-SCHEDTYPE-01 @req:APPT-NOREASON-01 @req:BOOK-FIELDS-01
  @req:APPT-ID-01 @req:APPT-CREATED-01 @req:APPT-FUTURE-01 @req:APPT-ORG-01
  @req:APPT-PARTICIPANT-01 @req:APPT-READBACK-01 @req:APPT-PRIORITY-01 @req:FND-META-02
  Scenario: The slot type and schedule type a consumer sends are replaced by the provider's
    Given a free slot
    When the consumer books those slots for the test patient sending its own slot type and schedule type
    Then the provider answers 201 with a Location and an ETag
    And the appointment carries the booked slots' slot type and their schedule's schedule type
    And each participant of the appointment reads back as its resource type

  @writes @req:BOOK-NOREASON-01 @req:BOOK-NOREASON-01-CODE @req:BOOK-ATOMIC-01 @req:ERR-OO-01
  Scenario Outline: A booking that carries a <element> is refused and books nothing
    Given a free slot
    When the consumer books those slots for the test patient with a <element>
    Then the provider refuses it with 422 INVALID_RESOURCE
    And the test patient has no appointment on those slots and every one of them is still free

    Examples:
      | element   |
      | reason    |
      | specialty |

  @writes @req:BOOK-VALID-01 @req:BOOK-VALID-01-CODE @req:BOOK-ATOMIC-01 @req:ERR-OO-01 @req:ERR-OO-05
  Scenario Outline: A booking request <defect> is refused and books nothing
    Given a free slot
    When the consumer sends a booking of those slots for the test patient <defect>
    Then the provider refuses it with 422 INVALID_RESOURCE
    And the test patient has no appointment on those slots and every one of them is still free

    Examples:
      | defect                                                       |
      | without start                                                |
      | without end                                                  |
      | without status                                               |
      | without slot                                                 |
      | without the Patient participant                              |
      | without any participant                                      |
      | with participants without status                             |
      | with an identifier without a value                           |
      | with an element GP Connect does not define                   |
      | as a Bundle instead of an Appointment                        |
      | with a booking organisation without name                     |
      | with a booking organisation without telecom                  |
      | with its booking organisation referenced by an absolute URL  |
      | as an empty Appointment                                      |

  @writes @req:BOOK-LOCATION-01 @req:BOOK-ATOMIC-01 @req:ERR-OO-01
  Scenario: A booking request without the Location participant is refused and books nothing
    Given a free slot
    When the consumer sends a booking of those slots for the test patient without the Location participant
    Then the provider refuses it with 422 INVALID_RESOURCE
    And the test patient has no appointment on those slots and every one of them is still free

  @writes @req:BOOK-OPTIONAL-01 @req:BOOK-TEXT-01 @req:BOOK-ORG-01
  Scenario Outline: A booking request <variant> is accepted
    Given a free slot
    When the consumer sends a booking of those slots for the test patient <variant>
    Then the provider accepts the booking
    And the booking organisation, description and comment are returned as the consumer sent them

    Examples:
      | variant                              |
      | without the practitioner participant |
      | without a comment                    |

  @writes @req:BOOK-URL-01 @req:BOOK-ATOMIC-01
  Scenario: A booking posted to a path that is no endpoint is refused with an OperationOutcome and books nothing
    Given a free slot
    When the consumer posts a booking of those slots for the test patient to "appointmentqq/!"
    Then the provider refuses the request to that path with an OperationOutcome
    And the test patient has no appointment on those slots and every one of them is still free

  @writes @req:BOOK-SLOTREF-01 @req:BOOK-ATOMIC-01 @req:ERR-OO-01 @req:ERR-OO-05
  Scenario Outline: A booking of the slot "<reference>", which is no slot of the provider, is refused and books nothing
    Given a free slot
    When the consumer books the slot "<reference>" for the test patient
    Then the provider refuses it with HTTP 422
    And the test patient has no appointment on those slots and every one of them is still free

    Examples:
      | reference                                                                   |
      | Slot/45555g55555                                                            |
      | Slot/45555555##                                                             |
      | Slot/hello                                                                  |
      | https://test1.supplier.thirdparty.nhs.uk/A11111/STU3/1/GPConnect/Slot/#12345 |

  @writes @req:BOOK-SCHEDTYPE-01 @req:BOOK-TYPE-01 @req:READ-TYPE-01 @req:RETR-TYPE-01
  Scenario: An appointment on a schedule without a schedule type has none, booked, read and retrieved
    Given an appointment this run booked for the test patient on a schedule without a schedule type
    Then reading it back shows it as this run last left it
    And retrieving the test patient's appointments shows it as this run last left it

  @writes @req:BOOK-TEXT-01 @req:READ-STATE-01
  Scenario: A description of 100 and a comment of 500 characters are booked and read back intact
    Given a free slot
    When the consumer books those slots for the test patient with a description of 100 and a comment of 500 characters
    Then the description and comment are stored and read back intact

  @writes @req:BOOK-TEXT-01 @req:READ-STATE-01 @req:ERR-OO-01
  Scenario Outline: A description of <description> and a comment of <comment> characters are booked intact or refused, never cut
    Given a free slot
    When the consumer books those slots for the test patient with a description of <description> and a comment of <comment> characters
    Then the description and comment are stored and read back intact, or not accepted at all

    Examples:
      | description | comment |
      | 101         | 501     |
      | 1000        | 5000    |

  @writes @req:FND-FMT-03 @req:BOOK-01 @req:BOOK-TYPE-01 @req:BOOK-SCHEDTYPE-01 @req:APPT-NOREASON-01
  @req:FND-META-02 @req:APPT-PARTICIPANT-01 @req:APPT-READBACK-01
  Scenario Outline: A booking sending _format=application/fhir+json with Accept <accept> is answered in FHIR JSON like any booking
    Given a free slot
    When the consumer books those slots for the test patient sending _format=application/fhir+json with Accept <accept>
    Then the provider answers in FHIR JSON, as _format asked
    And the provider answers 201 with a Location and an ETag
    And the appointment carries the booked slots' slot type and their schedule's schedule type
    And the appointment lists every booked slot and spans them
    And each participant of the appointment reads back as its resource type

    Examples:
      | accept                |
      | application/fhir+json |
      | application/fhir+xml  |

  @writes @req:FND-PREFER-02 @req:BOOK-01 @req:BOOK-TYPE-01 @req:BOOK-SCHEDTYPE-01
  Scenario: A booking sending Prefer: return=representation is answered with the whole appointment
    Given a free slot
    When the consumer books those slots for the test patient sending Prefer: return=representation
    Then the provider answers with the whole appointment, as Prefer asked
    And the provider answers 201 with a Location and an ETag
    And the appointment carries the booked slots' slot type and their schedule's schedule type
    And the appointment lists every booked slot and spans them

  @writes @req:FND-PREFER-01 @req:BOOK-01
  Scenario: A booking sending Prefer: return=minimal is answered 201 without a body, and the appointment it names is booked
    Given a free slot
    When the consumer books those slots for the test patient sending Prefer: return=minimal
    Then the provider answers with no body, as Prefer asked
    And the booking is answered 201 with a Location and an ETag
    And the appointment its Location names reads back booked on those slots
