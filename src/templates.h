#ifndef RB_TEMPLATES_H
#define RB_TEMPLATES_H

#include <stddef.h>

/* A file of templates/, embedded at build time (cmake/embed.cmake). */
struct rb_template {
	const char *name;
	const char *data; /* NUL-terminated */
	size_t len;
};

/* All templates, ended by an entry whose name is NULL. */
extern const struct rb_template rb_templates[];

/* The template called name, or NULL. */
const struct rb_template *rb_template_find(const char *name);

#endif
