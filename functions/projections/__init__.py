"""Read models, each a pure fold of one stream category; the contexts list them
(functions/contexts/), so importing one projection never imports the others."""
