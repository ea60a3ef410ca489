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

  @req:SLOT-PARAM-04 @req:ERR-OO-01
  Scenario Outline: A search without its <parameter> parameter is refused
    When the consumer searches for free slots without the <parameter> parameter
    Then the provider refuses it with an error

    Examples:
      | parameter |
      | start     |
      | end       |
      | status    |

  @req:SLOT-PARAM-05 @req:ERR-OO-01
  Scenario: A search without the Slot:schedule include is refused
    When the consumer searches for free slots without the Slot:schedule include
    Then the provider refuses it with an error

  @req:SLOT-TYPE-01 @req:SLOT-SCHEDREF-01
  Scenario: Every free slot carries its slot type when only the schedule is included
    When the consumer searches for free slots over the search window with only the schedule include
    Then every returned Slot has a slot type
