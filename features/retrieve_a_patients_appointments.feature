Feature: Retrieve a patient's appointments
  A consumer retrieves a patient's future appointments between two dates. Every Appointment
  carries its slot type and, where available, its schedule type; cancelled appointments are
  returned too.

  Background:
    Given the test patient is found by their NHS number

  @writes @req:RETR-BOOKED-01 @req:RETR-TYPE-01 @req:RETR-STATE-01 @req:RETR-DATES-01 @req:APPT-NOREASON-01
  @req:APPT-ID-01 @req:APPT-CREATED-01 @req:APPT-FUTURE-01 @req:APPT-ORG-01
  @req:APPT-PARTICIPANT-01 @req:APPT-READBACK-01 @req:APPT-PRIORITY-01 @req:FND-META-02
  Scenario: The appointment this run booked is returned with the types of its slot
    Given an appointment this run booked for the test patient
    When the consumer retrieves the test patient's appointments over the search window
    Then the booked appointment is among them with the slot type and schedule type it was booked with
    And each participant of every returned appointment reads back as its resource type

  @req:RETR-TYPE-01
  Scenario: Every returned appointment carries a slot type, and a schedule type as the practice has configured
    When the consumer retrieves the test patient's appointments over the search window
    Then every returned Appointment has a slot type, and a schedule type as this environment declares

  @writes @req:RETR-CANCELLED-01
  Scenario: A cancelled appointment is still returned
    Given an appointment this run booked for the test patient and then cancelled
    When the consumer retrieves the test patient's appointments over the search window
    Then the cancelled appointment is among them with status cancelled

  @req:RETR-PARAM-01 @req:ERR-OO-01
  Scenario Outline: A date range <range> is refused
    When the consumer retrieves the test patient's appointments with a date range <range>
    Then the provider refuses it with 422 INVALID_PARAMETER

    Examples:
      | range                     |
      | starting in the past      |
      | with a time part          |
      | with only one start       |
      | that ends before it starts |

  @req:RETR-PARAM-01 @req:ERR-OO-01 @req:ERR-OO-05
  Scenario Outline: A retrieve with start "<first>" and start "<second>" is refused
    When the consumer retrieves the test patient's appointments with start "<first>" and start "<second>"
    Then the provider refuses it with 422 INVALID_PARAMETER

    Examples: dates in another format
      | first                            | second                              |
      | ge{today}                        | le{today+14:yyyy}                   |
      | ge{today}                        | le{today+14:yyyy-MM}                |
      | ge{today}                        | le{today+14:yyyy-MM-ddTHH:mm:ss}    |
      | ge{today}                        | le{today+14:yyyy-MM-ddTHH:mm:ssZ}   |
      | ge{today:yyyy}                   | le{today+14}                        |
      | ge{today:yyyy-MM}                | le{today+14}                        |
      | ge{today:yyyy-MM-ddTHH:mm:ss}    | le{today+14}                        |
      | ge{today:yyyy-MM-ddTHH:mm:ssZ}   | le{today+14}                        |

    Examples: prefixes other than ge and le
      | first            | second           |
      | ge{today}        | lt{today+14}     |
      | ge{today}        | gt{today+14}     |
      | ge{today}        | eq{today+14}     |
      | ge{today}        | ge{today+14}     |
      | lt{today}        | le{today+14}     |
      | gt{today}        | le{today+14}     |
      | eqs{today}       | le{today+14}     |
      | le{today}        | le{today+14}     |
      | random123{today} | random123{today+14} |

    Examples: dates without prefixes, in the past
      | first      | second     |
      | 2010-02-03 | 2010-03-03 |
      | 2010-03-03 | 2030-03-30 |

  @req:RETR-PARAM-01 @req:ERR-OO-01
  Scenario Outline: A retrieve with the single start "<start>" is refused
    When the consumer retrieves the test patient's appointments with start "<start>" alone
    Then the provider refuses it with 422 INVALID_PARAMETER

    Examples:
      | start        |
      | le2030-03-03 |
      | ge2030-03-03 |

  @req:RETR-404-01 @req:ERR-OO-01
  Scenario Outline: The appointments of patient id <id> are not found
    When the consumer retrieves the appointments of the patient id "<id>"
    Then the provider refuses it with HTTP 404

    Examples:
      | id   |
      | null |
      | dd   |

  @req:RETR-404-01 @req:ERR-OO-01
  Scenario: The appointments of an unknown patient are not found
    When the consumer retrieves the appointments of a patient id that does not exist
    Then the provider refuses it with HTTP 404

  @writes @req:RETR-BOOKED-01 @req:RETR-TYPE-01 @req:RETR-STATE-01 @req:APPT-NOREASON-01
  Scenario Outline: An appointment of <count> slots is retrieved with the types, slots and span it was booked with
    Given an appointment this run booked for the test patient on <count> adjacent slots
    When the consumer retrieves the test patient's appointments over the search window
    Then the booked appointment is among them with the slot type and schedule type it was booked with

    Examples:
      | count |
      | 2     |
      | 3     |

  @writes @req:RETR-DATES-01
  Scenario: An appointment outside the dates asked is not returned
    Given an appointment this run booked for the test patient
    When the consumer retrieves the test patient's appointments over dates after that appointment
    Then the booked appointment is not among them

  @req:RETR-EMPTY-01
  Scenario: A patient without appointments is answered with an empty searchset
    When the consumer retrieves the second test patient's appointments for today and tomorrow
    Then the provider answers 200 with a searchset holding no appointment

  @writes @req:RETR-BOOKED-01 @req:RETR-TYPE-01 @req:RETR-STATE-01 @req:APPT-NOREASON-01 @req:APPT-ID-01
  @req:APPT-CREATED-01 @req:APPT-FUTURE-01 @req:APPT-ORG-01 @req:APPT-PARTICIPANT-01 @req:APPT-READBACK-01
  @req:APPT-PRIORITY-01 @req:FND-META-02
  Scenario Outline: All <count> appointments this run booked are returned over the next 14 days
    Given <count> appointments this run booked for the test patient
    When the consumer retrieves the test patient's appointments over the next 14 days
    Then at least <count> appointments are returned, among them each one this run booked with its types
    And each participant of every returned appointment reads back as its resource type

    Examples:
      | count |
      | 1     |
      | 2     |
      | 3     |

  @req:FND-PARAM-01
  Scenario: A retrieve that also asks _sort=date is answered with a searchset
    When the consumer retrieves the test patient's appointments over the search window with _sort=date
    Then the provider answers 200 with a searchset of appointments

  @writes @req:FND-FMT-03 @req:RETR-BOOKED-01 @req:RETR-TYPE-01 @req:RETR-STATE-01
  Scenario Outline: A retrieve sending _format=application/fhir+json with Accept <accept> is answered in FHIR JSON like any retrieve
    Given an appointment this run booked for the test patient
    When the consumer retrieves the test patient's appointments over the search window sending _format=application/fhir+json with Accept <accept>
    Then the provider answers in FHIR JSON, as _format asked
    And the booked appointment is among them with the slot type and schedule type it was booked with

    Examples:
      | accept                |
      | application/fhir+json |
      | application/fhir+xml  |
