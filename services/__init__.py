"""The application layer beneath every face (CLI, Prefect flows, web): the only road to the data.

Handlers (`services.handlers`), one per act of `states.acts.ACTS`, all of one shape::

    from services import handlers, wiring
    db = wiring.database()                     # a store.db.Database: the unit of work
    actor = wiring.parse_actor("province:广东/commerce")   # or states.actors.Actor(...)
    result = handlers.submit(db, actor, app_id, now=now)   # -> store.transitions.Result

    handler(db: Database, actor: Actor, <positional ids/data>, *, now: datetime, <options>)

- authorisation first, from the act's row of the table (`states.acts`), before any read that
  leads to a write; then the store reads typed facts and runs the ordered policy (rule classes);
  the change, its audit records and its outbox rows commit in one unit of work;
- every refusal is audited exactly once (on the application's chain, or in the operators'
  trail when there is no application) and raised as `services.errors.Refused` (a
  `states.rules.Refusal`: `.rule`, `.message` one line, `.act`, `.app_id`);
- bad input raises `ValueError` (one line naming the field and the rule) and unknown ids raise
  `services.errors.NotFound` (a LookupError); both are audited as refusals too;
- a version conflict raises `services.errors.Conflict`; every attempt of it is audited.

Reads go through `services.queries` (`list_applications`, `application`, `history`, `queue`),
which never load forms and never migrate; `wiring.existing_database()` opens a database for
reading without creating one.
"""
