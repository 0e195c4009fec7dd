"""Alerts: what the watch rules raised (open ones first, in the sidebar's view), acknowledging
and closing them, the rules themselves with a preview, their feeds and secrets, and every
delivery made."""

import streamlit as st

from georisk.app import alerts_page, page, rule_form

view = page.page_frame("Alerts")
dataset = view.dataset
st.title("Alerts")
alerts_page.done_message()
book = alerts_page.open_book(dataset)
alerts_page.sync_messages(book, dataset)
rules = rule_form.stored_rules(book, dataset)

st.header("Alerts in view", anchor=False)
shown = alerts_page.alerts_list(book, view, rule_form.rule_names(rules))
alerts_page.act_panel(book, shown)

st.header("Rules", anchor=False)
rule_form.rules_table(book, dataset, rules)
st.subheader("Add or edit a rule", anchor=False)
rule_form.rule_form(book, dataset, rules)

st.header("Feeds and secrets", anchor=False)
alerts_page.feeds_and_secrets(book, rules)

st.header("Deliveries", anchor=False)
alerts_page.deliveries_table(book)
