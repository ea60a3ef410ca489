Feature: Foundations on every appointment interaction
  Providers route each interaction differently, so the security headers, the audit JWT, content
  types, caching, error bodies and the GP Connect profiles are checked on each of the six
  appointment interactions, not only on /metadata.

  Background:
    Given the test patient is found by their NHS number

  @req:FND-HDR-01 @req:ERR-OO-01 @req:ERR-OO-02 @req:ERR-OO-03 @req:ERR-OO-04
  Scenario Outline: A request to <interaction> without an Ssp header or its bearer token is refused
    Given a valid request to <interaction>
    When the consumer sends it in each of these ways
      | request                   |
      | without Ssp-TraceID       |
      | without Ssp-From          |
      | without Ssp-To            |
      | without Ssp-InteractionID |
      | without Authorization     |
    Then the provider refuses each with 400 BAD_REQUEST

    Examples:
      | interaction                       |
      | search for free slots             |
      | book an appointment               |
      | retrieve a patient's appointments |
      | read an appointment               |
      | amend an appointment              |
      | cancel an appointment             |

  @req:FND-HDR-02 @req:ERR-OO-01
  Scenario Outline: A request to <interaction> addressed to another provider is refused
    Given a valid request to <interaction>
    When the consumer sends it in each of these ways
      | request                              |
      | addressed to another provider's ASID |
    Then the provider refuses each with an error

    Examples:
      | interaction                       |
      | search for free slots             |
      | book an appointment               |
      | retrieve a patient's appointments |
      | read an appointment               |
      | amend an appointment              |
      | cancel an appointment             |

  @req:FND-HDR-03 @req:ERR-OO-01
  Scenario Outline: A request to <interaction> with another operation's interaction ID is refused
    Given a valid request to <interaction>
    When the consumer sends it in each of these ways
      | request                                 |
      | with another operation's interaction ID |
    Then the provider refuses each with 400 BAD_REQUEST

    Examples:
      | interaction                       |
      | search for free slots             |
      | book an appointment               |
      | retrieve a patient's appointments |
      | read an appointment               |
      | amend an appointment              |
      | cancel an appointment             |

  @req:FND-JWT-01 @req:ERR-OO-01
  Scenario Outline: A request to <interaction> with a missing, malformed or expired JWT is refused
    Given a valid request to <interaction>
    When the consumer sends it in each of these ways
      | request                               |
      | with an empty bearer token            |
      | with a bearer token that is not a JWT |
      | with a JWT that is not base64url JSON |
      | with an expired JWT                   |
    Then the provider refuses each with 400 BAD_REQUEST

    Examples:
      | interaction                       |
      | search for free slots             |
      | book an appointment               |
      | retrieve a patient's appointments |
      | read an appointment               |
      | amend an appointment              |
      | cancel an appointment             |

  @req:FND-JWT-05 @req:ERR-OO-01
  Scenario Outline: A request to <interaction> whose JWT lacks one of its claims is refused
    Given a valid request to <interaction>
    When the consumer sends it in each of these ways
      | request                                   |
      | without the iss claim                     |
      | without the sub claim                     |
      | without the aud claim                     |
      | without the exp claim                     |
      | without the iat claim                     |
      | without the reason_for_request claim      |
      | without the requested_scope claim         |
      | without the requesting_device claim       |
      | without the requesting_organization claim |
      | without the requesting_practitioner claim |
    Then the provider refuses each with 400 BAD_REQUEST

    Examples:
      | interaction                       |
      | search for free slots             |
      | book an appointment               |
      | retrieve a patient's appointments |
      | read an appointment               |
      | amend an appointment              |
      | cancel an appointment             |

  @req:FND-JWT-06
  Scenario Outline: A request to <interaction> whose JWT was issued 200 seconds ahead of the provider's clock is served
    Given a valid request to <interaction>
    When the consumer sends it with a JWT issued 200 seconds in the future
    Then the provider answers with success

    Examples:
      | interaction                       |
      | search for free slots             |
      | retrieve a patient's appointments |
      | read an appointment               |

  @req:FND-JWT-02 @req:ERR-OO-01
  Scenario Outline: A request to <interaction> whose JWT does not expire 300 seconds after it was issued is refused
    Given a valid request to <interaction>
    When the consumer sends it in each of these ways
      | request               |
      | with exp at iat + 299 |
      | with exp at iat + 301 |
    Then the provider refuses each with 400 BAD_REQUEST

    Examples:
      | interaction                       |
      | search for free slots             |
      | book an appointment               |
      | retrieve a patient's appointments |
      | read an appointment               |
      | amend an appointment              |
      | cancel an appointment             |

  @req:FND-JWT-03 @req:ERR-OO-01
  Scenario Outline: A request to <interaction> whose JWT asks for another interaction's scope is refused
    Given a valid request to <interaction>
    When the consumer sends it in each of these ways
      | request                                         |
      | with the requested_scope of another interaction |
    Then the provider refuses each with 400 BAD_REQUEST

    Examples:
      | interaction                       |
      | search for free slots             |
      | book an appointment               |
      | retrieve a patient's appointments |
      | read an appointment               |
      | amend an appointment              |
      | cancel an appointment             |

  @req:FND-JWT-04 @req:ERR-OO-01
  Scenario Outline: A request to <interaction> whose JWT gives a reason other than direct care is refused
    Given a valid request to <interaction>
    When the consumer sends it in each of these ways
      | request                               |
      | with reason_for_request secondaryuses |
    Then the provider refuses each with 400 BAD_REQUEST

    Examples:
      | interaction                       |
      | search for free slots             |
      | book an appointment               |
      | retrieve a patient's appointments |
      | read an appointment               |
      | amend an appointment              |
      | cancel an appointment             |

  @req:FND-FMT-02 @req:ERR-OO-01
  Scenario Outline: A request to <interaction> accepting only a format the provider does not support is refused
    Given a valid request to <interaction>
    When the consumer sends it in each of these ways
      | request                    |
      | with an unsupported Accept |
    Then the provider refuses each with HTTP 415

    Examples:
      | interaction                       |
      | search for free slots             |
      | book an appointment               |
      | retrieve a patient's appointments |
      | read an appointment               |
      | amend an appointment              |
      | cancel an appointment             |

  @req:FND-CACHE-01
  Scenario Outline: Every response from <interaction>, errors included, carries Cache-Control no-store
    Given a valid request to <interaction>
    When the consumer sends it as it is and once without Ssp-TraceID
    Then every response carries Cache-Control: no-store

    Examples:
      | interaction                       |
      | search for free slots             |
      | book an appointment               |
      | retrieve a patient's appointments |
      | read an appointment               |
      | amend an appointment              |
      | cancel an appointment             |

  @req:FND-FMT-01
  Scenario Outline: Every response from <interaction>, errors included, is FHIR JSON in UTF-8
    Given a valid request to <interaction>
    When the consumer sends it as it is and once without Ssp-TraceID
    Then every response has Content-Type application/fhir+json;charset=utf-8

    Examples:
      | interaction                       |
      | search for free slots             |
      | book an appointment               |
      | retrieve a patient's appointments |
      | read an appointment               |
      | amend an appointment              |
      | cancel an appointment             |

  @req:FND-PROFILE-01
  Scenario Outline: Every resource <interaction> returns conforms to its GP Connect 1.2.7 profile
    Given a valid request to <interaction>
    When the consumer sends it as it is
    Then the provider answers with success
    And every returned resource conforms to its GP Connect profile

    Examples:
      | interaction                       |
      | search for free slots             |
      | book an appointment               |
      | retrieve a patient's appointments |
      | read an appointment               |
      | amend an appointment              |
      | cancel an appointment             |

  @req:FND-META-01
  Scenario Outline: Every resource <interaction> returns carries meta.profile and meta.versionId
    Given a valid request to <interaction>
    When the consumer sends it as it is
    Then the provider answers with success
    And every returned resource carries meta.profile and meta.versionId

    Examples:
      | interaction                       |
      | search for free slots             |
      | book an appointment               |
      | retrieve a patient's appointments |
      | read an appointment               |
      | amend an appointment              |
      | cancel an appointment             |

  @req:FND-TIME-01
  Scenario Outline: Every date-time <interaction> returns is UK local time with its offset
    Given a valid request to <interaction>
    When the consumer sends it as it is
    Then the provider answers with success
    And every returned date-time is UK local time with offset +00:00 or +01:00

    Examples:
      | interaction                       |
      | search for free slots             |
      | book an appointment               |
      | retrieve a patient's appointments |
      | read an appointment               |
      | amend an appointment              |
      | cancel an appointment             |

  @req:FND-REF-01
  Scenario Outline: Every reference <interaction> returns is local and relative
    Given a valid request to <interaction>
    When the consumer sends it as it is
    Then the provider answers with success
    And every returned reference is a local relative reference

    Examples:
      | interaction                       |
      | search for free slots             |
      | book an appointment               |
      | retrieve a patient's appointments |
      | read an appointment               |
      | amend an appointment              |
      | cancel an appointment             |

  @req:FND-ETAG-01
  Scenario Outline: <interaction> answers with the ETag of the appointment's version
    Given a valid request to <interaction>
    When the consumer sends it as it is
    Then the provider answers with success
    And the ETag is W/"<meta.versionId>" of the returned appointment

    Examples:
      | interaction           |
      | book an appointment   |
      | read an appointment   |
      | amend an appointment  |
      | cancel an appointment |

  @req:FND-FULLURL-01
  Scenario Outline: The Bundle <interaction> returns carries no fullUrl
    Given a valid request to <interaction>
    When the consumer sends it as it is
    Then the provider answers with success
    And no Bundle entry carries a fullUrl

    Examples:
      | interaction                       |
      | search for free slots             |
      | retrieve a patient's appointments |

  @req:FND-PARAM-01
  Scenario Outline: <interaction> ignores a search parameter it does not recognise
    Given a valid request to <interaction>
    When the consumer sends it with an unrecognised search parameter
    Then the provider answers with success

    Examples:
      | interaction                       |
      | search for free slots             |
      | retrieve a patient's appointments |

  @req:FND-FMT-03
  Scenario Outline: The _format parameter overrides Accept on <interaction>
    Given a valid request to <interaction>
    When the consumer sends it with _format=application/fhir+json and an unsupported Accept
    Then the provider answers with success

    Examples:
      | interaction                       |
      | search for free slots             |
      | book an appointment               |
      | retrieve a patient's appointments |
      | read an appointment               |
      | amend an appointment              |
      | cancel an appointment             |

  @req:FND-CAP-01
  Scenario: The CapabilityStatement is version 1.2.7 and lists the slot search parameters and includes
    When the consumer reads the CapabilityStatement
    Then it is version 1.2.7 for FHIR 3.0.1
    And it lists the Slot search parameters start, end, status and searchFilter
    And it lists the Slot search includes of Schedule, Practitioner, Location and Organization

  @req:FND-CAP-02
  Scenario: The CapabilityStatement lists the Appointment resource with its read, create, update and search-type interactions
    When the consumer reads the CapabilityStatement
    Then it lists an Appointment resource with the read, create, update and search-type interactions

  @req:FND-JWT-03 @req:ERR-OO-01
  Scenario Outline: A request to <interaction> whose JWT asks for organization/*.write is refused
    Given a valid request to <interaction>
    When the consumer sends it in each of these ways
      | request                                   |
      | with requested_scope organization/*.write |
    Then the provider refuses each with 400 BAD_REQUEST

    Examples:
      | interaction                       |
      | search for free slots             |
      | book an appointment               |
      | retrieve a patient's appointments |
      | read an appointment               |
      | amend an appointment              |
      | cancel an appointment             |
