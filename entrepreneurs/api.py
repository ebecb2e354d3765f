from drf_yasg import openapi
from drf_yasg.utils import swagger_auto_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.links import media_url
from core.permissions import IsEntrepreneur

from .selectors import entrepreneur_profile_get
from .serializers import EntrepreneurProfileSerializer, ImageUploadResponseSerializer
from .services import IMAGE_SPECS, entrepreneur_image_set, entrepreneur_profile_create, entrepreneur_profile_update


class EntrepreneurProfileView(APIView):
    """The signed-in entrepreneur's own profile."""

    permission_classes = [IsAuthenticated, IsEntrepreneur]

    @swagger_auto_schema(responses={200: EntrepreneurProfileSerializer})
    def get(self, request):
        return Response(EntrepreneurProfileSerializer(entrepreneur_profile_get(user=request.user)).data)

    @swagger_auto_schema(request_body=EntrepreneurProfileSerializer, responses={201: EntrepreneurProfileSerializer})
    def post(self, request):
        serializer = EntrepreneurProfileSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        profile = entrepreneur_profile_create(
            user=request.user, business_name=data["business_name"], custom_url=data["custom_url"], bio=data.get("bio", ""),
        )
        return Response(EntrepreneurProfileSerializer(profile).data, status=status.HTTP_201_CREATED)

    @swagger_auto_schema(request_body=EntrepreneurProfileSerializer, responses={200: EntrepreneurProfileSerializer})
    def patch(self, request):
        profile = entrepreneur_profile_get(user=request.user)
        serializer = EntrepreneurProfileSerializer(profile, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        profile = entrepreneur_profile_update(profile=profile, data=serializer.validated_data)
        return Response(EntrepreneurProfileSerializer(profile).data)


class EntrepreneurImageUploadView(APIView):
    """Upload (or replace) the profile or banner image; the old file is deleted after the change commits."""

    permission_classes = [IsAuthenticated, IsEntrepreneur]
    parser_classes = [MultiPartParser, FormParser]

    @swagger_auto_schema(
        manual_parameters=[
            openapi.Parameter("image_type", openapi.IN_PATH, type=openapi.TYPE_STRING, enum=list(IMAGE_SPECS)),
            openapi.Parameter("image", openapi.IN_FORM, type=openapi.TYPE_FILE, required=True,
                              description="JPEG, PNG or WebP; at most 10 MB and 40 megapixels."),
        ],
        consumes=["multipart/form-data"],
        responses={200: ImageUploadResponseSerializer, 413: "Image too large"},
    )
    def post(self, request, image_type: str):
        profile = entrepreneur_image_set(
            user=request.user, image_type=image_type, uploaded_file=request.FILES.get("image"),
        )
        field = IMAGE_SPECS[image_type].field
        return Response({
            "image_type": image_type,
            "url": media_url(getattr(profile, field)),
            "profile": EntrepreneurProfileSerializer(profile).data,
        })
