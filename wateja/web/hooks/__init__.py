"""Provider callbacks: SMS delivery reports, inbound SMS, opt-outs and USSD."""
