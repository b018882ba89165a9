"""Pages of the data protection officer (role ``dpo``)."""
