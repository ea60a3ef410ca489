Feature: Search for free slots
  A consumer searches a practice's free slots over a window of up to two weeks. Since 1.2.7
  every Slot carries the practice's free-text slot type, and every Schedule its schedule type
  where the practice has configured one. The checks hold for every returned resource.

  @req:SLOT-SEARCH-01 @req:SLOT-INCLUDE-01
  Scenario: A slot search with every include returns a searchset Bundle
    When the consumer searches for free slots over the search window with every include
    Then the response is a searchset Bundle

  @req:SLOT-TYPE-01 @req:SLOT-SCHEDREF-01
  Scenario: Every free slot carries its slot type
    When the consumer searches for free slots over the search window with every include
    Then every returned Slot has a slot type

  @req:SLOT-SCHEDTYPE-01
  Scenario: Schedules carry their schedule type as the practice has configured them
    When the consumer searches for free slots over the search window with every include
    Then the returned Schedules carry schedule types as this environment declares

  @req:SLOT-SCHEDTYPE-01
  Scenario: Every schedule the practice declares typed carries its schedule type
    When the consumer searches for free slots over the search window with every include
    Then every schedule the practice declares typed is returned, each with its schedule type

  @req:SLOT-NOCOMMENT-01 @req:SLOT-NOSPECIALTY-01
  Scenario: No slot or schedule carries a comment or a specialty
    When the consumer searches for free slots over the search window with every include
    Then no returned Slot or Schedule has a comment
    And no returned Slot or Schedule has a specialty

  @req:SLOT-FREE-01 @req:SLOT-WINDOW-01
  Scenario: Every returned slot is free and lies fully inside a window that cuts through sessions
    When the consumer searches for free slots between times that fall inside sessions
    Then every returned Slot is free
    And every returned Slot lies fully inside the search window

  @req:SLOT-COMPLETE-01
  Scenario: A search of the whole window offers every free slot that searches of each of its days offer
    When the consumer searches each day of the search window alone, then the whole window
    Then the whole window offers every slot inside it that the search of its day offers before and after it

  @req:SLOT-COMPLETE-01 @req:SLOT-WINDOW-01
  Scenario: A search between two times inside a day offers every free slot of that day between them, and no other
    When the consumer searches a day that offers free slots, then between two times in it
    Then the search between those times offers every slot inside it that the search of the day offers before and after it

  @req:SLOT-BUNDLE-01 @req:SLOT-ORG-01 @req:SLOT-INCLUDE-02
  Scenario Outline: The Bundle holds only what the returned slots reference, with <includes>
    When the consumer searches for free slots over the search window with <includes>
    Then the Bundle holds only the Schedules, Practitioners, Locations and Organization the returned slots reference
    And the Organization is present because slots were returned

    Examples:
      | includes                  |
      | every include             |
      | only the schedule include |

  @req:SLOT-FILTER-01
  Scenario: Slots open to every consumer are still offered to a consumer that names its organisation
    When the consumer searches for free slots over the search window without a searchFilter
    And the consumer searches for free slots over the search window with every include
    Then every slot offered without a searchFilter is offered with one too

  @req:SLOT-FILTER-02
  Scenario: A searchFilter of a system the provider does not know is ignored
    When the consumer searches for free slots over the search window with every include
    And the consumer searches for free slots over the search window adding a searchFilter of an unknown system
    Then the same slots are offered with the unknown searchFilter as without it

  @req:SLOT-EMPTY-01
  Scenario: A search over a window no slot fits in is answered with an empty searchset
    When the consumer searches for free slots between 03:00 and 03:01 tomorrow
    Then the provider answers 200 with a searchset Bundle holding no Slot

  @req:SLOT-PARAM-01 @req:SLOT-PARAM-01-CODE @req:ERR-OO-01 @req:ERR-OO-05
  Scenario Outline: A search window of <days> days is refused
    When the consumer searches for free slots over a window of <days> days
    Then the provider refuses it with 422 INVALID_PARAMETER

    Examples:
      | days |
      | 15   |
      | 30   |
      | 31   |

  @req:SLOT-PARAM-02 @req:ERR-OO-01
  Scenario: A search window that ends before it starts is refused
    When the consumer searches for free slots over a window that ends the day before it starts
    Then the provider refuses it with 422 INVALID_PARAMETER

  @req:SLOT-PARAM-03 @req:SLOT-PARAM-03-CODE @req:ERR-OO-01
  Scenario: A search for slots of a status other than free is refused
    When the consumer searches for busy slots
    Then the provider refuses it with 422 INVALID_PARAMETER

  @req:SLOT-PARAM-06 @req:ERR-OO-01
  Scenario Outline: A search with start prefix <start> and end prefix <end> is refused
    When the consumer searches for free slots over 3 days from today with start prefix <start> and end prefix <end>
    Then the provider refuses it with HTTP 422

    Examples:
      | start | end |
      | lt    | gt  |
      | gt    | gt  |
      | lt    | lt  |
      | le    | ge  |
      | eq    | eq  |
      | gt    | lt  |
      | ne    | ne  |
      | gt    | ne  |
      | ne    | lt  |
      | ge    | ne  |
      | ne    | le  |

  @req:SLOT-PARAM-07 @req:ERR-OO-01
  Scenario Outline: A search whose <parameter> is "<value>" is refused
    When the consumer searches for free slots over 3 days with <parameter> set to "<value>"
    Then the provider refuses it with 422 INVALID_PARAMETER

    Examples:
      | parameter | value            |
      | start     | invalidStartDate |
      | start     |                  |
      | end       | invalidEnddate   |
      | end       |                  |

  @req:SLOT-PARAM-04 @req:SLOT-PARAM-04-CODE @req:ERR-OO-01
  Scenario Outline: A search without its <parameter> parameter is refused
    When the consumer searches for free slots without the <parameter> parameter
    Then the provider refuses it with 400 BAD_REQUEST

    Examples:
      | parameter     |
      | start and end |
      | start         |
      | end           |
      | status        |

  @req:SLOT-PARAM-05 @req:ERR-OO-01
  Scenario: A search without the Slot:schedule include is refused
    When the consumer searches for free slots without the Slot:schedule include
    Then the provider refuses it with an error

  @req:SLOT-TYPE-01 @req:SLOT-SCHEDREF-01
  Scenario: Every free slot carries its slot type when only the schedule is included
    When the consumer searches for free slots over the search window with only the schedule include
    Then every returned Slot has a slot type

  @req:SLOT-SEARCH-01
  Scenario Outline: A search window of <days> days is answered with a searchset Bundle
    When the consumer searches for free slots over a window of <days> days
    Then the provider answers 200 with a searchset Bundle

    Examples:
      | days |
      | 0    |
      | 14   |

  @req:SLOT-SEARCH-01
  Scenario Outline: A search from <start> to <end> is answered with a searchset Bundle
    When the consumer searches for free slots from now for 3 days with start as <start> and end as <end>
    Then the provider answers 200 with a searchset Bundle

    Examples:
      | start                      | end                        |
      | a date-time with offset    | a date                     |
      | a date                     | a date-time with offset    |

  @req:SLOT-PARAM-07 @req:ERR-OO-01
  Scenario Outline: A search from <start> to <end> is refused
    When the consumer searches for free slots from now for 3 days with start as <start> and end as <end>
    Then the provider refuses it with 422 INVALID_PARAMETER

    Examples:
      | start                      | end                        |
      | a date-time without offset | a date-time without offset |
      | a date-time in UTC with Z  | a date-time without offset |
      | a date-time without offset | a date-time in UTC with Z  |
      | a year                     | a year and month           |
      | a year and month           | a year                     |

  @req:SLOT-SEARCH-01 @req:SLOT-SCHEDREF-01 @req:SLOT-SCHEDLOC-01 @req:SLOT-INCLUDE-02 @req:SLOT-INCLUDE-03
  @req:SLOT-ID-01 @req:SLOT-IDENT-01 @req:SLOT-SCHEDROLE-01 @req:SLOT-PRACT-01 @req:SLOT-PRACT-02
  @req:SLOT-LOC-01 @req:SLOT-LOC-02 @req:SLOT-LOC-03 @req:SLOT-ORG-02 @req:SLOT-ORG-03 @req:SLOT-TYPE-01 @req:SLOT-SCHEDTYPE-01
  @req:SLOT-NOCOMMENT-01 @req:SLOT-NOSPECIALTY-01 @req:FND-META-02
  Scenario Outline: Every resource of a slot search with <includes> is populated as GP Connect and NHS assurance expect
    When the consumer searches for free slots over the search window with <includes>
    Then the Bundle holds at least one Slot, each with its Schedule
    And every returned resource is populated as the slot search requires
    And each returned Location's managing organisation reads back as an Organization
    And every returned Slot has a slot type
    And the returned Schedules carry schedule types as this environment declares
    And no returned Slot or Schedule has a comment
    And no returned Slot or Schedule has a specialty

    Examples:
      | includes                               |
      | every include                          |
      | only the schedule include              |
      | the schedule and practitioner includes |
      | the schedule and location includes     |

  @req:SLOT-SEARCH-01 @req:SLOT-SCHEDREF-01 @req:FND-FMT-01 @req:FND-FMT-03
  Scenario Outline: A slot search sent as <content type> accepting <accept> with _format <format> is answered in FHIR JSON
    When the consumer searches for free slots over a day offering some, sending Content-Type <content type>, Accept <accept> and _format <format>
    Then the response is a searchset Bundle
    And the Bundle holds at least one Slot, each with its Schedule

    Examples:
      | content type          | accept                | format                |
      | application/fhir+json | application/fhir+json | none                  |
      | application/fhir+xml  | application/fhir+json | none                  |
      | application/fhir+json | application/fhir+json | application/fhir+json |
      | application/fhir+xml  | application/fhir+json | application/fhir+json |
      | application/fhir+json | application/fhir+xml  | application/fhir+json |
      | application/fhir+xml  | application/fhir+xml  | application/fhir+json |

  @req:SLOT-FILTER-03
  Scenario: No slot the practice declares restricted is offered to a consumer it is not open to
    When the consumer searches for free slots over 14 days from today without a searchFilter, then as each organisation type and each ODS code of the sweep
    Then no slot the practice declares restricted is offered to a consumer it is not open to

  @req:SLOT-FILTER-01 @req:SLOT-FILTER-03 @req:SLOT-ID-01 @req:SLOT-IDENT-01 @req:SLOT-ORG-03 @req:FND-META-02
  Scenario Outline: Over 14 days from today, a consumer of organisation type <type> and ODS code <code> is offered the slots open to it
    When the consumer searches for free slots over 14 days from today as organisation type <type> and ODS code <code>
    Then the response is a searchset Bundle
    And every slot offered without a searchFilter is offered to this consumer too
    And slots restricted to organisations this consumer is not are withheld

    Examples:
      | type        | code   |
      | urgent-care | none   |
      | gp-practice | none   |
      | oncology    | none   |
      | none        | A20047 |
      | none        | B81016 |
      | none        | M85015 |
      | none        | RNR01  |
      | none        | none   |
      | urgent-care | A20047 |
      | urgent-care | B81016 |
      | urgent-care | M85015 |
      | urgent-care | RNR01  |
      | gp-practice | A20047 |
      | gp-practice | B81016 |
      | gp-practice | M85015 |
      | gp-practice | RNR01  |
      | oncology    | A20047 |
      | oncology    | B81016 |
      | oncology    | M85015 |
      | oncology    | RNR01  |
