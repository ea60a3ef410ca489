"""Steps shared by every use case's error scenarios."""

from pytest_bdd import parsers, then

from harness.outcomes import check_refusal


@then(parsers.re(r"the provider refuses it with (?P<status>\d{3}) (?P<code>[A-Z_]+)"))
def refused_with(response, status, code):
    check_refusal(response, int(status), code)


@then("the provider refuses it with an error")
def refused(response):
    check_refusal(response)
