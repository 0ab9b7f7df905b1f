#include "templates.h"

#include <string.h>

const struct rb_template *rb_template_find(const char *name)
{
	for (const struct rb_template *t = rb_templates; t->name; t++)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}
