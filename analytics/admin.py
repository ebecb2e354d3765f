from django.contrib import admin

from .models import AnalyticsEvent, DailyMetrics


@admin.register(AnalyticsEvent)
class AnalyticsEventAdmin(admin.ModelAdmin):
    list_display = ("event_type", "entrepreneur", "product", "visitor_id", "timestamp")
    list_filter = ("event_type",)
    search_fields = ("visitor_id", "entrepreneur__custom_url", "product__name")
    raw_id_fields = ("user", "entrepreneur", "product", "order")
    readonly_fields = ("timestamp",)
    date_hierarchy = "timestamp"


@admin.register(DailyMetrics)
class DailyMetricsAdmin(admin.ModelAdmin):
    list_display = ("date", "entity_type", "entity_id", "metric_type", "value")
    list_filter = ("entity_type", "metric_type")
    search_fields = ("metric_type",)
    readonly_fields = ("date", "metric_type", "entity_type", "entity_id", "value", "metadata", "created_at",
                       "updated_at")
    date_hierarchy = "date"
