"""Who may do what to which object: predicates, their registration and the user's scope.

Side-effect free on import: ``rules.apps.AutodiscoverRulesConfig`` imports this package.
The rules are registered by ``WagtailDistmarkAppConfig.ready()``.
"""
