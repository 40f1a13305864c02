"""The customers context: who a customer is and what role they hold."""
